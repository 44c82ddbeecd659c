import type { LatencyResult } from './latency';
import type { Machine } from './machine';
import type { BenchResults } from './main';
import type { ReplayResult } from './replay';
import { round } from './stats';

export const replayGoals = { ratioToLowerLimit: 0.5, eventsPerSec: 30_000 } as const;
export const latencyGoalP99Ms = 100;
/** projector.latency's goal, as a multiple of one Kafka hop's p99 measured in the same run (issue 13). */
export const latencyGoalHops = 2;

type Common = { runAt: string; commit: string | undefined; quick: boolean };

/** replay.rebuild against the lower of its two limits (raw Kafka consume, Postgres COPY), and the two limits. */
export const replayEntries = (r: ReplayResult, host: Machine, common: Common): BenchResults => {
  const rebuild = r.rebuild.eventsPerSec;
  const limits = { 'replay.raw-consume': r.raw.eventsPerSec, 'replay.postgres-copy': r.copy.rowsPerSec };
  const [lowerName, lowerValue] = Object.entries(limits).sort((a, b) => a[1] - b[1])[0]!;
  const ratio = rebuild / lowerValue;
  const goalMet = ratio >= replayGoals.ratioToLowerLimit && rebuild >= replayGoals.eventsPerSec;
  const volumes = { events: r.events, eventsByTopic: r.eventsByTopic, partitionsPerTopic: 3 };
  return {
    'replay.rebuild': {
      value: round(rebuild),
      unit: 'events/s',
      baseline: lowerName,
      baselineValue: round(lowerValue),
      ratio: round(ratio, 3),
      machine: host,
      details: {
        ...common,
        goal: replayGoals.ratioToLowerLimit,
        goalText: `>= ${replayGoals.ratioToLowerLimit} and >= ${replayGoals.eventsPerSec.toLocaleString('en-US')} events/s`,
        goalMet,
        ratioToRawConsume: round(rebuild / r.raw.eventsPerSec, 3),
        ratioToPostgresCopy: round(rebuild / r.copy.rowsPerSec, 3),
        note: 'rebuildReadModels (from/to undefined) into a shadow generation on a fresh database, wall time including the final catch-up and the swap; ensureLiveReadModels ran first. The rebuild writes events plus projection rows, so it is rows, not events, that COPY is compared with: see rowsWritten.',
        seconds: round(r.rebuild.seconds, 2),
        cpuUsPerEvent: round(r.rebuild.cpuUsPerEvent, 1),
        rowsWritten: r.copy.rows,
        rowsPerEvent: round(r.copy.rows / r.events, 3),
        ...volumes,
        workload: 'mixedWorkload of @agentbus/testing (task, agent, decision, trust events), repeated with distinct run names; codec-encoded, keyed by entity id, bus headers (routing key, traceparent)',
        prefillSeconds: round(r.prefillSeconds, 1),
        encodeSeconds: round(r.encodeSeconds, 1),
      },
    },
    'replay.raw-consume': {
      value: round(r.raw.eventsPerSec),
      unit: 'events/s',
      baseline: 'replay.raw-consume',
      baselineValue: round(r.raw.eventsPerSec),
      ratio: 1,
      machine: host,
      details: { ...common, note: 'kafkajs eachBatch over the same topics (all categories), a fresh group, no decode, first record to the last; a limit for replay.rebuild', seconds: round(r.raw.seconds, 2), startupSeconds: round(r.raw.startupSeconds, 2), ...volumes },
    },
    'replay.postgres-copy': {
      value: round(r.copy.rowsPerSec),
      unit: 'rows/s',
      baseline: 'replay.postgres-copy',
      baselineValue: round(r.copy.rowsPerSec),
      ratio: 1,
      machine: host,
      details: {
        ...common,
        note: `the rows of the rebuilt generation loaded again with COPY into empty LIKE-copies (no indexes): ${r.copy.method}; a limit for replay.rebuild`,
        rows: r.copy.rows,
        seconds: round(r.copy.seconds, 2),
        tables: Object.fromEntries(Object.entries(r.copy.tables).map(([t, v]) => [t, { rows: v.rows, seconds: round(v.seconds, 3) }])),
      },
    },
  };
};

/** projector.latency: p99 in ms against the 100 ms goal (a reference entry: ratio = p99 / goal). */
export const latencyEntries = (r: LatencyResult, host: Machine, common: Common): BenchResults => ({
  'projector.latency': {
    value: round(r.p99Ms, 1),
    unit: 'ms (p99)',
    baseline: 'one Kafka hop p99, same run (publish to a raw kafkajs consumer)',
    baselineValue: round(r.hop.p99Ms, 1),
    ratio: round(r.p99Ms / r.hop.p99Ms, 3),
    machine: host,
    details: {
      ...common,
      goalText: `p99 <= ${latencyGoalHops} x one Kafka hop p99`,
      goalMet: r.p99Ms <= latencyGoalHops * r.hop.p99Ms,
      hopP50Ms: round(r.hop.p50Ms, 1),
      hopP99Ms: round(r.hop.p99Ms, 1),
      hopsMeasured: r.hop.seen,
      absoluteGoalP99Ms: latencyGoalP99Ms,
      p50Ms: round(r.p50Ms, 1),
      p90Ms: round(r.p90Ms, 1),
      p99Ms: round(r.p99Ms, 1),
      maxMs: round(r.maxMs, 1),
      note: 'publish (handing task.created to bus.publishMany) to the task row visible in the live generation; tasks polled every 5 ms, so figures include up to 5 ms of polling plus the poll query; the projector as its own process (services/projector/src/main.ts), as deployed',
      offeredRate: r.rate,
      achievedRate: round(r.achievedRate),
      seconds: round(r.seconds, 1),
      eventsPublished: r.published,
      tasksMeasured: r.seen,
      tasksPublished: r.tasks,
      polls: r.polls,
      avgPollQueryMs: round(r.avgPollMs, 2),
      breakdown: r.breakdown,
      transactionBatches: round(r.transactionBatches, 2),
      breakdownNote: "where the time went, in ms: send = handed to publishMany to the record's Kafka CreateTime (per task, from the hop consumer); the rest per projector batch from its own histograms over the measured phase (mean exact, p50/p99 estimated within histogram buckets): fetchDelay = the batch's first record's CreateTime to the projector receiving the batch; decode, prepare, begin (to the position lock), apply, commit (position write and COMMIT); createdToCommitted = that CreateTime to COMMIT",
      workload: 'mixedWorkload of @agentbus/testing in order (task.created/assigned/acknowledged/completed|failed, decisions, trust), one publishMany every 10 ms',
    },
  },
});
