import type { Knex } from 'knex';
import { newEventId, type AgentEvent, type WorkflowRequestedPayload } from '@agentbus/events';
import { loggerForEvent, type Logger } from '@agentbus/logger';
import { decideSaga, isFinished, nextWakeup, type AgentSnapshot, type SagaDefinition, type SagaInput } from '@agentbus/sagas';
import { coPartitionedKey, partitionOf } from './partitioning';
import { messageKey, type SagaRoute } from './sagaRouter';
import { appendOutbox, chunked, loadSagas, sagaSchema, saveSagas, type StoredSaga } from './sagaStore';

export const orchestratorSource = 'saga-orchestrator';

export interface SagaCounters {
  started(saga: string): void;
  finished(saga: string, status: string): void;
  handled(type: string): void;
  ignored(): void;
}

export interface SagaDecisionsOptions {
  definitions: ReadonlyMap<string, SagaDefinition>;
  /** Partitions of the saga topic: a saga's partition and its correlation keys follow from it. */
  partitions: number;
  counters: SagaCounters;
  logger: Logger;
}

export type Routed = SagaRoute & { event: AgentEvent };
type Changed = { saga: StoredSaga; events: AgentEvent[]; causedAt: number | null };

/**
 * The saga store's write side: loads sagas inside a transaction, runs the pure decider on them and
 * writes state, correlation keys and outbox in one statement each, however many sagas changed.
 */
export const sagaDecisions = ({ definitions, partitions, counters, logger }: SagaDecisionsOptions) => {
  const sagaPartition = (sagaId: string) => partitionOf(sagaId, partitions);

  const decideOn = (saga: StoredSaga, definition: SagaDefinition, input: SagaInput, agents: AgentSnapshot, at: number): AgentEvent[] => {
    const wasFinished = isFinished(saga.state);
    const decision = decideSaga(definition, saga.state, input, {
      now: at,
      newId: () => newEventId(at),
      agents,
      source: orchestratorSource,
      correlationKey: (sagaId, base) => coPartitionedKey(sagaId, base, partitions),
    });
    saga.state = decision.state;
    for (const e of decision.events) {
      if (e.type === 'saga.started') counters.started(definition.name);
      if (e.type === 'saga.event_ignored') counters.ignored();
    }
    if (!wasFinished && isFinished(saga.state)) counters.finished(definition.name, saga.state.status);
    return decision.events;
  };

  const persist = async (trx: Knex.Transaction, changed: readonly Changed[], at: Date): Promise<void> => {
    await saveSagas(trx, changed.map(({ saga }) => ({ saga, nextWakeup: nextWakeup(saga.state) })), at);
    const keys = changed.flatMap(({ saga, events }) =>
      events.filter((e) => e.type === 'saga.step.dispatched').map((e) => ({ key: (e.payload as { correlationKey: string }).correlationKey, saga_id: saga.state.sagaId })),
    );
    for (const chunk of chunked(keys, 2)) await trx.withSchema(sagaSchema).table('saga_keys').insert(chunk).onConflict('key').ignore();
    await appendOutbox(trx, changed.map(({ saga, events, causedAt }) => ({ sagaId: saga.state.sagaId, partition: saga.partition, events, causedAt })), messageKey, at);
  };

  /** Applies routed events: inbox (an event id is acted on once), decisions, sagas, keys and outbox. */
  const applyEvents = async (trx: Knex.Transaction, items: readonly Routed[], agents: AgentSnapshot, at: number): Promise<void> => {
    const keys = items.filter((r) => r.key !== undefined).map((r) => r.key!);
    const sagaOfKey = new Map<string, string>(
      keys.length === 0 ? [] : (await trx.withSchema(sagaSchema).from('saga_keys').select('key', 'saga_id').whereIn('key', keys)).map((r: { key: string; saga_id: string }) => [r.key, r.saga_id]),
    );
    const mine = items.map((r) => ({ ...r, sagaId: r.sagaId ?? (r.key ? sagaOfKey.get(r.key) : undefined) })).filter((r) => r.sagaId !== undefined);
    if (mine.length === 0) return;
    const fresh = new Set<string>(
      (
        await trx
          .withSchema(sagaSchema)
          .table('inbox')
          .insert(mine.map((r) => ({ event_id: r.event.id, saga_id: r.sagaId, event_type: r.event.type, received_at: new Date(at) })))
          .onConflict('event_id')
          .ignore()
          .returning('event_id')
      ).map((r: { event_id: string }) => r.event_id),
    );
    const todo = mine.filter((r) => fresh.has(r.event.id));
    const sagas = await loadSagas(trx, [...new Set(todo.map((r) => r.sagaId!))].sort(), sagaPartition);
    const out = new Map<string, { events: AgentEvent[]; causedAt: number }>();
    for (const r of todo) {
      const saga = sagas.get(r.sagaId!)!;
      const name = saga.state.sagaName || (r.event.type === 'workflow.requested' ? (r.event.payload as WorkflowRequestedPayload).sagaName : '');
      const definition = definitions.get(name);
      if (!definition) continue;
      const input: SagaInput = r.event.type === 'workflow.requested' ? { kind: 'start', event: r.event as never } : { kind: 'outcome', event: r.event };
      const events = decideOn(saga, definition, input, agents, at);
      counters.handled(r.event.type);
      loggerForEvent(logger, r.event).debug({ sagaId: r.sagaId, emitted: events.length }, 'saga event applied');
      const entry = out.get(r.sagaId!) ?? { events: [], causedAt: r.event.timestamp };
      entry.events.push(...events);
      entry.causedAt = r.event.timestamp;
      out.set(r.sagaId!, entry);
    }
    await persist(trx, [...out].map(([sagaId, { events, causedAt }]) => ({ saga: sagas.get(sagaId)!, events, causedAt })), new Date(at));
  };

  /**
   * Wakes the due sagas of the owned partitions (deadlines, retry times); returns how many. A saga
   * whose definition throws is tried again in 60 s, so it cannot hold up the others' timers.
   */
  const applyDueTimers = async (trx: Knex.Transaction, owned: readonly number[], agents: AgentSnapshot, at: number): Promise<number> => {
    const due: { saga_id: string }[] = await trx
      .withSchema(sagaSchema)
      .from('sagas')
      .select('saga_id')
      .whereIn('partition', owned)
      .where('next_wakeup', '<=', new Date(at))
      .orderBy('next_wakeup')
      .limit(200)
      .forUpdate()
      .skipLocked();
    if (due.length === 0) return 0;
    const sagas = await loadSagas(trx, due.map((d) => d.saga_id), sagaPartition);
    const changed: Changed[] = [];
    const postponed: string[] = [];
    for (const saga of sagas.values()) {
      const definition = definitions.get(saga.state.sagaName);
      if (!definition) continue;
      try {
        changed.push({ saga, events: decideOn(saga, definition, { kind: 'tick' }, agents, at), causedAt: null });
      } catch (error) {
        logger.error({ err: error, sagaId: saga.state.sagaId }, 'timer decision failed; trying again in 60 s');
        postponed.push(saga.state.sagaId);
      }
    }
    await persist(trx, changed, new Date(at));
    if (postponed.length > 0) await trx.withSchema(sagaSchema).table('sagas').whereIn('saga_id', postponed).update({ next_wakeup: new Date(at + 60_000) });
    return due.length;
  };

  return { applyEvents, applyDueTimers };
};

export type SagaDecisions = ReturnType<typeof sagaDecisions>;
