import { Histogram, Registry } from 'prom-client';
import { histogramDelta, histogramQuantile, parseHistograms, phaseFigures, selectHistogram } from './metricsScrape';

const exposition = async (observations: [string, number][]) => {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'svc' });
  const h = new Histogram({ name: 'svc_phase_seconds', help: 'h', labelNames: ['phase'], buckets: [0.01, 0.02, 0.05], registers: [registry] });
  for (const [phase, v] of observations) h.observe({ phase }, v);
  return registry.metrics();
};

describe('metrics scraping for the latency benches', () => {
  it("reads prom-client's histograms per label set, and the difference between two snapshots", async () => {
    const before = parseHistograms(await exposition([['apply', 0.005]]));
    const after = parseHistograms(await exposition([['apply', 0.005], ['apply', 0.015], ['apply', 0.03], ['commit', 0.001]]));
    expect([...after.keys()].sort()).toEqual(['svc_phase_seconds{service="svc",phase="apply"}', 'svc_phase_seconds{service="svc",phase="commit"}']);
    const d = histogramDelta(selectHistogram(before, 'svc_phase_seconds{phase="apply"}'), selectHistogram(after, 'svc_phase_seconds{phase="apply"}')!);
    expect(d.count).toBe(2);
    expect(d.sum).toBeCloseTo(0.045);
    expect(d.buckets.map((b) => b.count)).toEqual([0, 1, 2, 2]);
    expect(selectHistogram(after, 'svc_phase_seconds')!.count).toBe(4);
  });

  it('estimates quantiles as histogram_quantile does, and reports them in ms', async () => {
    const h = parseHistograms(await exposition(Array.from({ length: 100 }, (_, i) => ['apply', i < 50 ? 0.005 : 0.04] as [string, number]))).get('svc_phase_seconds{service="svc",phase="apply"}')!;
    expect(histogramQuantile(0.5, h)).toBeCloseTo(0.01);
    expect(histogramQuantile(0.99, h)).toBeCloseTo(0.02 + 0.03 * (49 / 50));
    const figures = phaseFigures(new Map(), new Map([['k', h]]), { apply: 'k', missing: 'nope' });
    expect(Object.keys(figures)).toEqual(['apply']);
    expect(figures.apply).toMatchObject({ samples: 100, meanMs: 22.5, p50Ms: 10 });
  });
});
