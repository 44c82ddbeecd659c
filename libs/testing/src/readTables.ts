import type { Knex } from 'knex';
import { stableKey, type InMemoryTables, type Projection, type Row } from '@agentbus/projections';

/** The read-model tables as the in-memory replay would hold them: times in epoch ms, bigints as numbers. */
export const readTables = async (db: Knex, schema: string, projections: readonly Projection[]): Promise<InMemoryTables> => {
  const out: InMemoryTables = {};
  for (const table of projections.flatMap((p) => p.tables)) {
    const rows: Row[] = await db.withSchema(schema).from(table.name).select('*');
    out[table.name] = Object.fromEntries(
      rows.map((row) => {
        const normalized = Object.fromEntries(
          Object.entries(table.columns).map(([column, type]) => {
            const value = row[column];
            if (value === null || value === undefined) return [column, null];
            if (type === 'timestamptz') return [column, (value as Date).getTime()];
            if (type === 'bigint') return [column, Number(value)];
            return [column, value];
          }),
        );
        return [stableKey(Object.fromEntries(table.key.map((k) => [k, normalized[k]]))), normalized];
      }),
    );
  }
  return out;
};
