import { parseProducerPerf } from './producerPerf';
import { median, percentile } from './stats';
import { chunk, taskCreatedInputs } from './workload';

const output = `Warmup first 100000 records. Steady state results will print after the complete test summary.
In steady state.
225327 records sent, 45065.4 records/sec (19.34 MB/sec), 1320.1 ms avg latency, 1859.0 ms max latency.
400000 records sent, 42612.123149 records/sec (18.29 MB/sec), 1128.45 ms avg latency, 1859.00 ms max latency, 1212 ms 50th, 1763 ms 95th, 1844 ms 99th, 1854 ms 99.9th.
300000 steady state records sent, 44470.797510 records/sec (19.08 MB/sec), 1293.35 ms avg latency, 1859.00 ms max latency, 1263 ms 50th, 1789 ms 95th, 1848 ms 99th, 1855 ms 99.9th.`;

describe('bench helpers', () => {
  it('reads the steady-state summary of ProducerPerformance', () => {
    expect(parseProducerPerf(output)).toMatchObject({ records: 300000, recordsPerSec: 44470.79751, mbPerSec: 19.08, avgLatencyMs: 1293.35, p50Ms: 1263, p99Ms: 1848 });
  });

  it('falls back to the final summary without a warm-up', () => {
    expect(parseProducerPerf(output.split('\n').slice(2, 4).join('\n'))).toMatchObject({ records: 400000, recordsPerSec: 42612.123149 });
  });

  it('fails clearly when there is no summary', () => {
    expect(() => parseProducerPerf('Exception in thread "main"')).toThrow(/no summary line/);
  });

  it('computes medians and nearest-rank percentiles', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
  });

  it('generates the same task.created payloads for the same seed, with unique task ids', () => {
    const a = taskCreatedInputs(1000, 'x');
    expect(taskCreatedInputs(1000, 'x')).toEqual(a);
    expect(new Set(a.map((i) => i.payload.taskId)).size).toBe(1000);
    expect(chunk(a, 300).map((c) => c.length)).toEqual([300, 300, 300, 100]);
  });
});
