import type { Knex } from 'knex';
import type { AgentEvent } from '@agentbus/events';
import { runMigrations, type SchemaMigration } from '@agentbus/postgres-sink';
import { initialSagaState, type SagaState } from '@agentbus/sagas';

/** The orchestrator's own schema: saga state, the outbox, the inbox of handled events, durable timers. */
export const sagaSchema = 'saga_orchestrator';


const migrations: SchemaMigration[] = [
  {
    name: '001_sagas_outbox_inbox',
    up: async (knex) => {
      await knex.schema.withSchema(sagaSchema).createTable('sagas', (t) => {
        t.text('saga_id').primary();
        t.text('saga_name').notNullable();
        t.text('status').notNullable();
        t.integer('partition').notNullable();
        t.jsonb('state').notNullable();
        // The durable timer: the next deadline or retry time; null while the saga only waits for events.
        t.timestamp('next_wakeup', { useTz: true });
        t.integer('version').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable();
        t.index(['partition', 'next_wakeup'], 'sagas_due');
      });
      await knex.schema.withSchema(sagaSchema).createTable('saga_keys', (t) => {
        t.text('key').primary();
        t.text('saga_id').notNullable();
      });
      await knex.schema.withSchema(sagaSchema).createTable('inbox', (t) => {
        t.text('event_id').primary();
        t.text('saga_id').notNullable();
        t.text('event_type').notNullable();
        t.timestamp('received_at', { useTz: true }).notNullable();
      });
      await knex.schema.withSchema(sagaSchema).createTable('outbox', (t) => {
        t.bigIncrements('seq').primary();
        t.text('event_id').notNullable().unique();
        t.text('saga_id').notNullable();
        t.integer('partition').notNullable();
        t.text('message_key').notNullable();
        t.jsonb('event').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable();
        // When the event that led to this one happened: the relay measures dispatch latency from it.
        t.bigInteger('caused_at');
        t.text('refused_reason');
        t.index(['partition', 'seq'], 'outbox_pending');
      });
    },
  },
  {
    // The outbox is a queue: every row is deleted moments after it is written. With the default
    // thresholds (20 % of the table) a burst leaves its dead rows for the relay to step over on every
    // read until a vacuum comes; vacuum it after every thousand dead rows instead.
    name: '002_outbox_vacuum',
    up: async (knex) => {
      await knex.raw(`alter table ${sagaSchema}.outbox set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0)`);
    },
  },
];

export const migrateSagaStore = async (db: Knex): Promise<void> => {
  // Several instances may start together; one migrates, the others wait for it.
  await db.raw('select pg_advisory_lock(hashtext(?))', ['agentbus.saga_orchestrator.migrate']);
  try {
    await runMigrations(db, sagaSchema, migrations);
  } finally {
    await db.raw('select pg_advisory_unlock(hashtext(?))', ['agentbus.saga_orchestrator.migrate']);
  }
};

export interface StoredSaga {
  state: SagaState;
  version: number;
  partition: number;
  isNew: boolean;
}

/**
 * Locks and loads sagas; a saga not stored yet comes back as a new one. Rows are locked in saga id
 * order, as postponeTimers locks them, so two transactions over overlapping sagas never deadlock.
 */
export const loadSagas = async (trx: Knex.Transaction, sagaIds: readonly string[], partitionOf: (sagaId: string) => number): Promise<Map<string, StoredSaga>> => {
  const rows: { saga_id: string; state: SagaState; version: number; partition: number }[] =
    sagaIds.length === 0 ? [] : await trx.withSchema(sagaSchema).from('sagas').select('saga_id', 'state', 'version', 'partition').whereIn('saga_id', sagaIds).orderBy('saga_id').forUpdate();
  const found = new Map(rows.map((r) => [r.saga_id, { state: r.state, version: r.version, partition: r.partition, isNew: false }]));
  for (const id of sagaIds) if (!found.has(id)) found.set(id, { state: initialSagaState(id), version: 0, partition: partitionOf(id), isNew: true });
  return found;
};

/** Postgres takes at most 65,535 parameters per statement; a transaction of a large group commit can hold more rows. */
const rowsPerStatement = (columns: number): number => Math.floor(60_000 / columns);
export const chunked = <T>(rows: readonly T[], columns: number): T[][] => {
  const size = rowsPerStatement(columns);
  const chunks: T[][] = [];
  for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size));
  return chunks;
};

/** Every changed saga of a transaction in as few statements as Postgres takes: new ones inserted, known ones updated. */
export const saveSagas = async (trx: Knex.Transaction, sagas: readonly { saga: StoredSaga; nextWakeup: number | undefined }[], now: Date): Promise<void> => {
  if (sagas.length === 0) return;
  const rows = sagas.map(({ saga, nextWakeup }) => ({
    saga_id: saga.state.sagaId,
    saga_name: saga.state.sagaName,
    status: saga.state.status,
    partition: saga.partition,
    state: JSON.stringify(saga.state),
    next_wakeup: nextWakeup === undefined ? null : new Date(nextWakeup),
    version: saga.version + 1,
    created_at: now,
    updated_at: now,
  }));
  for (const chunk of chunked(rows, 9)) await trx.withSchema(sagaSchema).table('sagas').insert(chunk).onConflict('saga_id').merge(['saga_name', 'status', 'state', 'next_wakeup', 'version', 'updated_at']);
};

export interface OutboxRow {
  seq: string;
  event_id: string;
  saga_id: string;
  created_at: Date;
  message_key: string;
  event: AgentEvent;
  caused_at: string | null;
}

export interface OutboxEntry {
  sagaId: string;
  partition: number;
  events: readonly AgentEvent[];
  causedAt: number | null;
}

/**
 * Moves the timers of sagas whose events were relayed late by the delay: a step's timeout is the
 * time its agent has, and the agent could not see the command before it reached Kafka. Relaying
 * is late when the instance that decided died before sending and another took the partition over
 * (a session timeout later); without this, the deadline would pass while the command was waiting in
 * the outbox and the step would be retried, running its command twice.
 */
export const postponeTimers = async (db: Knex, delays: ReadonlyMap<string, number>): Promise<void> => {
  if (delays.size === 0) return;
  const rows = JSON.stringify([...delays].map(([saga_id, delay_ms]) => ({ saga_id, delay_ms: Math.round(delay_ms) })));
  await db.raw(
    // Locked first in saga id order (as loadSagas locks), not in the order the update finds them:
    // the deciding transactions lock many sagas at once and would otherwise deadlock with this.
    `with d as (select * from json_to_recordset(?::json) as d(saga_id text, delay_ms bigint)),
          locked as (select s.saga_id from ${sagaSchema}.sagas s join d using (saga_id) where s.next_wakeup is not null order by s.saga_id for update of s)
     update ${sagaSchema}.sagas s set next_wakeup = s.next_wakeup + d.delay_ms * interval '1 millisecond'
     from d join locked using (saga_id)
     where s.saga_id = d.saga_id`,
    [rows],
  );
};

export const appendOutbox = async (trx: Knex.Transaction, entries: readonly OutboxEntry[], keyOf: (e: AgentEvent) => string, now: Date): Promise<void> => {
  const rows = entries.flatMap(({ sagaId, partition, events, causedAt }) =>
    events.map((event) => ({ event_id: event.id, saga_id: sagaId, partition, message_key: keyOf(event), event: JSON.stringify(event), created_at: now, caused_at: causedAt })),
  );
  for (const chunk of chunked(rows, 7)) await trx.withSchema(sagaSchema).table('outbox').insert(chunk);
};
