import { Registry } from 'prom-client';
import { consumerHealth, consumerMetrics } from './sinkMetrics';

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
