import type { EachBatchPayload } from 'kafkajs';
import type { PublishInput } from '@agentbus/bus';
import { topicName } from '@agentbus/events';
import type { Logger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { activeSchema } from '@agentbus/read-models';
import { createTestDatabase, freePort, mixedWorkload, spawnService } from '@agentbus/testing';
import { histogramMean, phaseFigures, scrapeHistograms, type PhaseFigure } from './metricsScrape';
import { nowMs, percentile } from './stats';
import { benchWorld, config } from './world';

export interface LatencyResult {
  rate: number;
  seconds: number;
  published: number;
  achievedRate: number;
  tasks: number;
  seen: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  polls: number;
  avgPollMs: number;
  /** The baseline, same run: publish to a raw kafkajs consumer (default settings, as the projector's) receiving the task.created record. */
  hop: { seen: number; p50Ms: number; p99Ms: number };
  /**
   * Where the time went: `send` (handed to publishMany to the record's Kafka CreateTime, from the
   * hop consumer's records) and the projector's own histograms over the measured phase (per batch:
   * its first record's CreateTime to the batch received, each phase of the batch, CreateTime to COMMIT).
   */
  breakdown: Record<string, PhaseFigure>;
  /** Mean partition batches per projector transaction, as each batch saw it (group commit). */
  transactionBatches: number;
}

/** The projector's histograms that split a record's latency, by the name the bench reports. */
export const projectorPhases = {
  fetchDelay: 'projector_fetch_delay_seconds',
  decode: 'projector_batch_phase_seconds{phase="decode"}',
  queue: 'projector_batch_phase_seconds{phase="queue"}',
  prepare: 'projector_batch_phase_seconds{phase="prepare"}',
  begin: 'projector_batch_phase_seconds{phase="begin"}',
  apply: 'projector_batch_phase_seconds{phase="apply"}',
  commit: 'projector_batch_phase_seconds{phase="commit"}',
  createdToCommitted: 'projector_record_e2e_latency_seconds',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * projector.latency: the projector as its own process, as deployed, on a fresh prefix and database;
 * the mixed task workload is published through a KafkaEventBus at a steady `rate` events/s (one
 * publishMany every 10 ms), and the tasks table is polled every 5 ms for task ids that became
 * visible. Latency = visibility time − the moment the task.created was handed to publishMany.
 * The baseline is one Kafka hop in the same run: a raw kafkajs consumer in this process (default
 * fetch settings, no decoding) notes when each task.created record arrives; its key is the task id.
 */
export const latencyBenchmark = async (rate: number, seconds: number, log: Logger, say: (line: string) => void): Promise<LatencyResult> => {
  const world = await benchWorld('latency', log);
  const database = await createTestDatabase('bench_latency', config.databaseUrl);
  const port = await freePort();
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const projector = spawnService('services/projector/src/main.ts', { AGENTBUS_TOPIC_PREFIX: world.prefix, DATABASE_URL: database.url, PROJECTOR_HTTP_PORT: String(port), LOG_LEVEL: 'info' });
  for (let i = 0; !projector.output().includes('projector running'); i++) {
    if (i > 600 || projector.child.exitCode !== null) throw new Error(`the projector did not start:\n${projector.output().slice(-1500)}`);
    await sleep(100);
  }
  const db = createDatabase({ url: database.url, poolMax: 2, applicationName: 'agentbus-bench-latency' });
  try {
    const bus = await world.bus();
    const { schema } = await activeSchema(db);
    const total = rate * seconds;
    const inputs: PublishInput[] = [];
    for (let run = 0; inputs.length < total; run++) inputs.push(...mixedWorkload({ tasks: 2000, agents: 5, seed: 11 + run, run: `l${run}` }));
    inputs.length = total;
    // Warm-up: the projector has joined its group and applied something before the clock starts.
    await bus.publish({ type: 'task.created', source: 'planner', payload: { taskId: 'warmup', description: 'warm-up', priority: 'low', domain: null } });
    for (let i = 0; ; i++) {
      if ((await db.withSchema(schema).from('tasks').where({ task_id: 'warmup' }).first()) !== undefined) break;
      if (i > 600) throw new Error('the projector did not apply the warm-up event within 60 s');
      await sleep(100);
    }

    const publishedAt = new Map<string, number>();
    const hopPending = new Map<string, number>();
    const hopMs: number[] = [];
    const sendMs: number[] = [];
    // nowMs is monotonic; Kafka's CreateTime is the producer's wall clock.
    const epochOffset = Date.now() - nowMs();
    const hop = world.topics.kafka.consumer({ groupId: `bench-latency-hop-${Date.now()}` });
    await hop.connect();
    await hop.subscribe({ topics: [topicName(world.prefix, 'task')], fromBeginning: false });
    let joined!: () => void;
    const hopReady = new Promise<void>((r) => (joined = r));
    hop.on(hop.events.GROUP_JOIN, () => joined());
    await hop.run({
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch }: EachBatchPayload) => {
        const arrived = nowMs();
        for (const message of batch.messages) {
          const key = message.key?.toString();
          const at = key === undefined ? undefined : hopPending.get(key);
          if (at === undefined) continue;
          hopMs.push(arrived - at);
          sendMs.push(Number(message.timestamp) - (at + epochOffset));
          hopPending.delete(key!);
        }
      },
    });
    await hopReady;
    const latencies: number[] = [];
    let publishing = true;
    let polls = 0;
    let pollMs = 0;
    const poller = (async () => {
      for (;;) {
        const pending = [...publishedAt.keys()];
        if (pending.length > 0) {
          const t = nowMs();
          const rows: { task_id: string }[] = await db.withSchema(schema).from('tasks').select('task_id').whereIn('task_id', pending);
          const seenAt = nowMs();
          polls++;
          pollMs += seenAt - t;
          for (const { task_id } of rows) {
            latencies.push(seenAt - publishedAt.get(task_id)!);
            publishedAt.delete(task_id);
          }
        } else if (!publishing) return;
        await sleep(5);
      }
    })();

    const metricsBefore = await scrapeHistograms(metricsUrl);
    const tick = 10;
    const perTick = Math.max(1, Math.round((rate * tick) / 1000));
    const started = nowMs();
    let published = 0;
    let tasks = 0;
    const sends: Promise<unknown>[] = [];
    for (let i = 0; published < inputs.length; i++) {
      const due = started + i * tick;
      const wait = due - nowMs();
      if (wait > 1) await sleep(wait);
      const batch = inputs.slice(published, published + perTick);
      const at = nowMs();
      for (const input of batch) {
        if (input.type === 'task.created') {
          publishedAt.set((input.payload as { taskId: string }).taskId, at);
          hopPending.set((input.payload as { taskId: string }).taskId, at);
          tasks++;
        }
      }
      // Not awaited one by one: a slow acknowledgement must not lower the offered rate.
      sends.push(bus.publishMany(batch));
      if (sends.length > 50) await Promise.all(sends.splice(0, sends.length));
      published += batch.length;
    }
    await Promise.all(sends);
    const elapsed = (nowMs() - started) / 1000;
    const deadline = nowMs() + 60_000;
    while (publishedAt.size > 0 && nowMs() < deadline) await sleep(50);
    publishing = false;
    const metricsAfter = await scrapeHistograms(metricsUrl);
    await hop.disconnect();
    const missing = publishedAt.size;
    publishedAt.clear();
    await poller;
    if (missing > 0) say(`  ${missing} tasks were not visible 60 s after publishing`);
    return {
      rate,
      seconds: elapsed,
      published,
      achievedRate: published / elapsed,
      tasks,
      seen: latencies.length,
      p50Ms: percentile(latencies, 50),
      p90Ms: percentile(latencies, 90),
      p99Ms: percentile(latencies, 99),
      maxMs: Math.max(...latencies),
      polls,
      avgPollMs: pollMs / Math.max(1, polls),
      hop: { seen: hopMs.length, p50Ms: percentile(hopMs, 50), p99Ms: percentile(hopMs, 99) },
      breakdown: {
        send: { samples: sendMs.length, meanMs: sendMs.reduce((a, b) => a + b, 0) / Math.max(1, sendMs.length), p50Ms: percentile(sendMs, 50), p99Ms: percentile(sendMs, 99) },
        ...phaseFigures(metricsBefore, metricsAfter, projectorPhases),
      },
      transactionBatches: histogramMean(metricsBefore, metricsAfter, 'projector_transaction_batches'),
    };
  } finally {
    await projector.kill('SIGTERM');
    await db.destroy();
    await world.cleanup();
    await database.drop().catch((e: Error) => say(`  could not drop ${database.name}: ${e.message}`));
  }
};
