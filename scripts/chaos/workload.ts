// The chaos run's workload: task lifecycles from the shared mixed workload, with order sagas
// interleaved, published at an even pace over the fault window. Each batch keeps its event ids
// across retries, so a publish repeated after a broker outage is the same event, not a new one.
import type { EventBus, PublishInput } from '@agentbus/bus';
import { createEvent, type AgentEvent } from '@agentbus/events';
import { mixedWorkload } from '@agentbus/testing';
import type { RequestedSaga } from './checks';

export interface ChaosWorkload {
  events: PublishInput[];
  sagas: RequestedSaga[];
  /** The agents the task workload announces; the run heartbeats them until the end. */
  agents: string[];
}

/** One saga per this many workload events; each brings about 20 more from the services and agents. */
const eventsPerSaga = 200;
const declinedAmount = 5000;

export const buildWorkload = (options: { events: number; run: string; seed: number; declineAbove: number }): ChaosWorkload => {
  const sagaCount = Math.max(2, Math.round(options.events / eventsPerSaga));
  const taskEvents = options.events - sagaCount;
  // mixedWorkload writes about 4.9 events per task; cut to the exact count.
  const tasks = mixedWorkload({ tasks: Math.ceil(taskEvents / 4.5), run: options.run, seed: options.seed, agents: 3 }).slice(0, taskEvents);
  const sagas: RequestedSaga[] = Array.from({ length: sagaCount }, (_, i) => ({ sagaId: `${options.run}-saga-${i}`, orderId: `${options.run}-order-${i}`, declined: i % 5 === 4 }));
  const requests: PublishInput[] = sagas.map((s, i) => ({
    type: 'workflow.requested',
    source: 'did:agent:chaos-shop',
    payload: {
      sagaId: s.sagaId,
      sagaName: 'order',
      input: JSON.stringify({ orderId: s.orderId, items: [{ sku: `sku-${i % 17}`, quantity: 1 + (i % 3) }], amount: s.declined ? Math.max(declinedAmount, options.declineAbove + 1) : 10 + (i % 90) }),
      requestedBy: 'did:agent:chaos-shop',
    },
  }));
  // Sagas spread evenly through the task stream, the first after the agents' announcements.
  const events: PublishInput[] = [];
  const every = Math.max(1, Math.floor(tasks.length / sagaCount));
  let next = 0;
  tasks.forEach((e, i) => {
    events.push(e);
    if (i > 10 && i % every === 0 && next < requests.length) events.push(requests[next++]!);
  });
  events.push(...requests.slice(next));
  const agents = [...new Set(tasks.filter((e) => e.type === 'agent.online').map((e) => (e.payload as { agentId: string }).agentId))];
  return { events, sagas, agents };
};

export interface PublishStats {
  published: number;
  batches: number;
  /** Batches sent again after a failed attempt (broker down, leader moving). */
  retried: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Publishes one batch until Kafka takes it; gives up only after `giveUpMs` of failures. */
export const publishUntilAccepted = async (bus: EventBus, batch: readonly AgentEvent[], giveUpMs: number, onRetry: (error: Error) => void): Promise<void> => {
  const deadline = Date.now() + giveUpMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await bus.publishMany(batch);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`publishing a batch failed for ${giveUpMs / 1000} s: ${(error as Error).message}`);
      onRetry(error as Error);
      await sleep(Math.min(5000, 250 * attempt));
    }
  }
};

/** Paces the events over `durationMs` in batches, each stamped when it is first sent. */
export const publishPaced = async (bus: EventBus, events: readonly PublishInput[], options: { durationMs: number; batchSize: number; onBatch?: (stats: PublishStats) => void }): Promise<PublishStats> => {
  const stats: PublishStats = { published: 0, batches: 0, retried: 0 };
  const started = Date.now();
  for (let i = 0; i < events.length; i += options.batchSize) {
    const batch = events.slice(i, i + options.batchSize).map((e) => ('id' in e && 'metadata' in e ? e : createEvent(e)));
    await publishUntilAccepted(bus, batch, 300_000, () => stats.retried++);
    stats.published += batch.length;
    stats.batches++;
    options.onBatch?.(stats);
    const due = started + (options.durationMs * Math.min(events.length, i + options.batchSize)) / events.length;
    await sleep(Math.max(0, due - Date.now()));
  }
  return stats;
};
