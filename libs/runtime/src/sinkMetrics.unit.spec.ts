import { Registry } from 'prom-client';
import { consumerHealth, consumerLatencyMetrics, consumerMetrics } from './sinkMetrics';

const up = { raw: async () => ({ rows: [] }) };
const down = { raw: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) };

describe('consumerHealth', () => {
  it('says what the consumer holds and waits for, so an operator sees why it is idle', async () => {
    const report = await consumerHealth(up, () => ({ running: true, assigned: ['p.task:0,1'], positioned: true, waitingFor: 'registry', lastBatchAt: 9_000 }), () => 10_500)();
    expect(report).toEqual({ ok: true, checks: { database: { ok: true }, consumer: { ok: true, detail: 'assigned p.task:0,1; positioned; waiting for the registry; last batch 1.5 s ago' } } });
  });

  it('is unhealthy when the consumer stopped or Postgres does not answer', async () => {
    expect((await consumerHealth(up, () => ({ running: false }))()).ok).toBe(false);
    const report = await consumerHealth(down, () => ({ running: true, assigned: [], positioned: false }))();
    expect(report.ok).toBe(false);
    expect(report.checks.consumer).toEqual({ ok: true, detail: 'assigned nothing; not yet positioned' });
  });
});

describe('consumerMetrics', () => {
  it('counts every outcome of a batch per topic, each counter named with _total', async () => {
    const registry = new Registry();
    const metrics = consumerMetrics(registry, 'svc', { applied: 'applied', batch: 'batch' });
    metrics.onBatch({ topic: 'p.task', partition: 0, fetched: 10, applied: 6, skipped: 2, rejected: 2, undecodable: 1, durationMs: 12, lag: 4 });
    metrics.onDatabaseError();
    const text = await registry.metrics();
    expect(text).toMatch(/svc_records_total\{topic="p.task"\} 6/);
    expect(text).toMatch(/svc_records_skipped_total\{topic="p.task"\} 2/);
    expect(text).toMatch(/svc_records_dead_lettered_total\{topic="p.task"\} 2/);
    expect(text).toMatch(/svc_records_undecodable_total\{topic="p.task"\} 1/);
    expect(text).toMatch(/svc_database_errors_total 1/);
    expect(text).toMatch(/svc_lag\{topic="p.task",partition="0"\} 4/);
    const counters = (await registry.getMetricsAsJSON()).filter((m) => String(m.type) === 'counter').map((m) => m.name);
    expect(counters.every((name) => name.endsWith('_total'))).toBe(true);
  });
});

describe('consumerLatencyMetrics', () => {
  const batch = { topic: 'p.task', partition: 0, fetched: 3, applied: 3, skipped: 0, rejected: 0, undecodable: 0, lag: 0 };
  const series = async (registry: Registry, name: string) => (await registry.getSingleMetric(name)!.get()).values as { metricName?: string; labels: Record<string, string | number>; value: number }[];
  const sumOf = async (registry: Registry, name: string, labels: Record<string, string> = {}) =>
    (await series(registry, name)).find((v) => v.metricName === `${name}_sum` && Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;

  it("splits a batch's latency into the wait for the fetch, each phase, and the record's age at commit", async () => {
    const registry = new Registry();
    const observe = consumerLatencyMetrics(registry, 'svc');
    observe({ ...batch, firstTimestamp: 1_000, receivedAt: 1_030, durationMs: 20, phases: { decodeMs: 2, queueMs: 0, prepareMs: 1, beginMs: 3, applyMs: 10, commitMs: 4 } });
    expect(await sumOf(registry, 'svc_fetch_delay_seconds')).toBeCloseTo(0.03);
    expect(await sumOf(registry, 'svc_record_e2e_latency_seconds')).toBeCloseTo(0.05);
    expect(await sumOf(registry, 'svc_batch_phase_seconds', { phase: 'apply' })).toBeCloseTo(0.01);
    expect(await sumOf(registry, 'svc_batch_phase_seconds', { phase: 'commit' })).toBeCloseTo(0.004);
  });

  it('counts a producer clock ahead of ours as no delay, and a batch without phases (a bulk load) only in the delays', async () => {
    const registry = new Registry();
    const observe = consumerLatencyMetrics(registry, 'svc');
    observe({ ...batch, firstTimestamp: 2_000, receivedAt: 1_000, durationMs: 5 });
    expect(await sumOf(registry, 'svc_fetch_delay_seconds')).toBe(0);
    expect(await sumOf(registry, 'svc_record_e2e_latency_seconds')).toBe(0);
    expect((await series(registry, 'svc_batch_phase_seconds')).filter((v) => v.metricName === 'svc_batch_phase_seconds_count')).toEqual([]);
  });
});
