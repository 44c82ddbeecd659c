import type { Knex } from 'knex';
import type { AgentEvent } from '@agentbus/events';
import type { ConsumedRecord, ConsumerTarget, Rejection } from '@agentbus/consumer';
import { bulkInsert, type BulkColumnType } from '@agentbus/postgres-sink';
import { foldChanges, type ColumnType, type Projection, type Row, type RowChange } from '@agentbus/projections';
import { activeSchema } from './generations';

export interface ProjectionTargetOptions {
  projections: readonly Projection[];
  /** A fixed schema (a rebuild's shadow); by default the live generation, read in each transaction. */
  schema?: string;
  /** Whether to write the `events` table (the queryable event store). */
  eventStore?: boolean;
}

export const eventColumns: Record<string, BulkColumnType> = {
  event_id: 'text',
  type: 'text',
  routing_key: 'text',
  source: 'text',
  occurred_at: 'timestamptz',
  entity_key: 'text',
  correlation_id: 'text',
  causation_id: 'text',
  schema_version: 'text',
  payload: 'jsonb',
  topic: 'text',
  partition: 'integer',
  kafka_offset: 'bigint',
  schema_id: 'integer',
};

export const eventRow = (record: ConsumedRecord, event: AgentEvent) => ({
  event_id: event.id,
  type: event.type,
  routing_key: event.routingKey,
  source: event.source,
  occurred_at: event.timestamp,
  entity_key: record.key,
  correlation_id: event.metadata.correlationId ?? null,
  causation_id: event.metadata.causationId ?? null,
  schema_version: event.metadata.version,
  payload: event.payload,
  topic: record.topic,
  partition: record.partition,
  kafka_offset: record.offset,
  schema_id: record.schemaId ?? null,
});

/**
 * Writes a batch: the events into the event store (deduplicated by id), then the projections'
 * row changes for the events that were new, folded so each row is written once per batch.
 */
export const projectionTarget = (options: ProjectionTargetOptions): ConsumerTarget => {
  const columnTypes = new Map<string, Record<string, ColumnType>>();
  const keys = new Map<string, readonly string[]>();
  for (const p of options.projections) {
    for (const t of p.tables) {
      columnTypes.set(t.name, t.columns);
      keys.set(t.name, t.key);
    }
  }
  return {
    schema: async (trx) => options.schema ?? (await activeSchema(trx, { share: true })).schema,
    apply: async (trx, schema, records) => {
      const rejections: Rejection[] = [];
      const decoded: { record: ConsumedRecord; event: AgentEvent }[] = [];
      for (const record of records) {
        if (record.event) decoded.push({ record, event: record.event });
        else rejections.push({ record, error: record.decodeError ?? new Error('record has no event') });
      }
      let fresh = decoded;
      if (options.eventStore !== false && decoded.length > 0) {
        const inserted = await bulkInsert<{ event_id: string }>(trx, {
          schema,
          table: 'events',
          columns: eventColumns,
          rows: uniqueBy(decoded, (d) => d.event.id).map((d) => eventRow(d.record, d.event)),
          key: ['event_id'],
          returning: ['event_id'],
        });
        const isNew = new Set(inserted.map((r) => r.event_id));
        // A duplicate within the batch is applied once: the first copy claims the id.
        fresh = decoded.filter((d) => isNew.delete(d.event.id));
      }
      const changes: RowChange[] = [];
      for (const { record, event } of fresh) {
        try {
          changes.push(...options.projections.flatMap((p) => p.project(event)));
        } catch (error) {
          rejections.push({ record, error });
        }
      }
      await writeChanges(trx, schema, foldChanges(changes), keys, columnTypes);
      return rejections;
    },
  };
};

const writeChanges = async (
  trx: Knex.Transaction,
  schema: string,
  changes: RowChange[],
  keys: Map<string, readonly string[]>,
  columnTypes: Map<string, Record<string, ColumnType>>,
): Promise<void> => {
  // One INSERT per (table, kind, column set): rows in one multi-row statement must share columns.
  const groups = new Map<string, { table: string; kind: RowChange['kind']; setColumns: string[]; rows: Row[] }>();
  for (const change of changes) {
    const row = change.kind === 'upsert' ? { ...change.key, ...change.set } : { ...change.key, ...change.row };
    const setColumns = change.kind === 'upsert' ? Object.keys(change.set).sort() : [];
    const id = `${change.table}|${change.kind}|${Object.keys(row).sort().join(',')}`;
    const group = groups.get(id) ?? { table: change.table, kind: change.kind, setColumns, rows: [] };
    group.rows.push(row);
    groups.set(id, group);
  }
  for (const { table, kind, setColumns, rows } of groups.values()) {
    const types = columnTypes.get(table) ?? {};
    const columns = Object.fromEntries(Object.keys(rows[0]!).map((c) => [c, types[c] ?? 'text']));
    await bulkInsert(trx, { schema, table, columns, rows, key: keys.get(table) ?? [], merge: kind === 'append' ? [] : setColumns });
  }
};

const uniqueBy = <T>(items: readonly T[], id: (item: T) => string): T[] => {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(id(item)) && (seen.add(id(item)), true));
};
