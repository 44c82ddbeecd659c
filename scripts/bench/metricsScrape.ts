/**
 * A service's Prometheus histograms, read over HTTP before and after a measured phase, so a
 * latency bench can say which phase of the service the time went to.
 */
export interface HistogramSnapshot {
  /** Cumulative counts by upper bound, as exposed (`le`), +Inf last. */
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

/** Every histogram series in a text exposition, by name and labels (without `le`), e.g. `svc_phase_seconds{phase="apply"}`. */
export const parseHistograms = (text: string): Map<string, HistogramSnapshot> => {
  const series = new Map<string, HistogramSnapshot>();
  const of = (key: string) => {
    let s = series.get(key);
    if (!s) series.set(key, (s = { buckets: [], sum: 0, count: 0 }));
    return s;
  };
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)_(bucket|sum|count)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const [, name, part, labelText = '', valueText] = m;
    const labels = [...labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k!, v!] as const);
    const rest = labels.filter(([k]) => k !== 'le');
    const key = rest.length === 0 ? name! : `${name}{${rest.map(([k, v]) => `${k}="${v}"`).join(',')}}`;
    const value = Number(valueText);
    if (part === 'bucket') {
      const le = labels.find(([k]) => k === 'le')?.[1];
      of(key).buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: value });
    } else if (part === 'sum') of(key).sum = value;
    else of(key).count = value;
  }
  return series;
};

/** What was observed between two snapshots of one series. */
export const histogramDelta = (before: HistogramSnapshot | undefined, after: HistogramSnapshot): HistogramSnapshot => ({
  buckets: after.buckets.map((b, i) => ({ le: b.le, count: b.count - (before?.buckets[i]?.count ?? 0) })),
  sum: after.sum - (before?.sum ?? 0),
  count: after.count - (before?.count ?? 0),
});

/** Prometheus' histogram_quantile: linear within the bucket the rank falls in; the top finite bound when it falls in +Inf. */
export const histogramQuantile = (q: number, h: HistogramSnapshot): number => {
  if (h.count === 0) return Number.NaN;
  const rank = q * h.count;
  let lower = 0;
  let below = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lower;
      return lower + ((b.le - lower) * (rank - below)) / Math.max(1, b.count - below);
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
};

export const scrapeHistograms = async (url: string): Promise<Map<string, HistogramSnapshot>> => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return parseHistograms(await response.text());
};

export interface PhaseFigure {
  /** Observations between the snapshots (batches, relay rounds). */
  samples: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * The sum of the series `spec` names: `name` or `name{label="value",…}`, matching every series of
 * that name whose labels include those given (a service's default labels, say), bucket by bucket.
 */
export const selectHistogram = (series: Map<string, HistogramSnapshot>, spec: string): HistogramSnapshot | undefined => {
  const [name, labelText = ''] = spec.replace(/\}$/, '').split('{');
  const wanted = labelText === '' ? [] : labelText.split(',');
  let total: HistogramSnapshot | undefined;
  for (const [key, h] of series) {
    const [keyName, keyLabels = ''] = key.replace(/\}$/, '').split('{');
    if (keyName !== name) continue;
    const have = keyLabels.split(',');
    if (!wanted.every((w) => have.includes(w))) continue;
    total = total ? { buckets: total.buckets.map((b, i) => ({ le: b.le, count: b.count + (h.buckets[i]?.count ?? 0) })), sum: total.sum + h.sum, count: total.count + h.count } : h;
  }
  return total;
};

/** Mean and bucket-estimated p50/p99 in ms of each series `names` selects, observed between `before` and `after`. */
export const phaseFigures = (before: Map<string, HistogramSnapshot>, after: Map<string, HistogramSnapshot>, names: Record<string, string>): Record<string, PhaseFigure> => {
  const figures: Record<string, PhaseFigure> = {};
  const ms = (s: number) => Math.round(s * 10_000) / 10;
  for (const [label, spec] of Object.entries(names)) {
    const end = selectHistogram(after, spec);
    if (!end) continue;
    const d = histogramDelta(selectHistogram(before, spec), end);
    figures[label] = { samples: d.count, meanMs: d.count === 0 ? Number.NaN : ms(d.sum / d.count), p50Ms: ms(histogramQuantile(0.5, d)), p99Ms: ms(histogramQuantile(0.99, d)) };
  }
  return figures;
};

/** The mean of what one series observed between two snapshots (a count, not a time). */
export const histogramMean = (before: Map<string, HistogramSnapshot>, after: Map<string, HistogramSnapshot>, spec: string): number => {
  const end = selectHistogram(after, spec);
  if (!end) return Number.NaN;
  const d = histogramDelta(selectHistogram(before, spec), end);
  return d.count === 0 ? Number.NaN : d.sum / d.count;
};

/** `name mean/p50/p99` per phase, for the bench's console output. */
export const describeBreakdown = (figures: Record<string, PhaseFigure>): string =>
  Object.entries(figures)
    .map(([name, f]) => `${name} ${f.meanMs.toFixed(1)}/${f.p50Ms.toFixed(1)}/${f.p99Ms.toFixed(1)}`)
    .join(', ');
