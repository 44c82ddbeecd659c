import type { AgentEvent } from '@agentbus/events';
import { applyChanges, emptyTables, type InMemoryTables } from '../inMemoryTables';
import type { Projection, TableDefinition } from '../projection';
import { projectAll } from '../replay';
import { stableKey, type Row, type RowChange } from '../rowChange';
import { jsonEqual } from './jsonEqual';

export class ProjectionAssertionError extends Error {
  override name = 'ProjectionAssertionError';
}

export interface ExpectedRows {
  table: string;
  rows: readonly Row[];
}

export interface ProjectionThen {
  /** The table holds exactly these rows, in any order, each with every column. */
  then(expected: ExpectedRows): void;
  /** The row with this key exists and has these column values; its other columns are not checked. */
  thenRow(table: string, key: Row, expected: Row): void;
  /** The `when` events left every table as the `given` events left it. */
  thenNothingChanged(): void;
}

export interface ProjectionWhen {
  when(events: AgentEvent | readonly AgentEvent[]): ProjectionThen;
}

export interface ProjectionGiven extends ProjectionWhen {
  given(events: readonly AgentEvent[]): ProjectionWhen;
}

const fail = (message: string): never => {
  throw new ProjectionAssertionError(message);
};

const show = (value: unknown): string => JSON.stringify(value, null, 2);

const tableOf = (projection: Projection, name: string): TableDefinition =>
  projection.tables.find((table) => table.name === name) ??
  fail(`projection ${projection.name} declares no table ${name}; it has ${projection.tables.map((table) => table.name).join(', ')}`);

/** Every change names a declared table, exactly its key columns, and only declared columns besides. */
const checkChange = (projection: Projection, change: RowChange): void => {
  const table = tableOf(projection, change.table);
  const keyColumns = Object.keys(change.key).sort();
  if (!jsonEqual(keyColumns, [...table.key].sort())) fail(`${change.table} is keyed by ${table.key.join(', ')}, not ${keyColumns.join(', ')}`);
  const values = change.kind === 'upsert' ? change.set : change.row;
  for (const column of Object.keys(values)) {
    if (!(column in table.columns)) fail(`${change.table} has no column ${column}`);
    if (table.key.includes(column)) fail(`${change.table}: key column ${column} is set outside the key`);
  }
};

const keyOf = (table: TableDefinition, row: Row): string => stableKey(Object.fromEntries(table.key.map((column) => [column, row[column]])));

const byKey = (table: TableDefinition, rows: readonly Row[]): Row[] =>
  [...rows].sort((a, b) => (keyOf(table, a) < keyOf(table, b) ? -1 : keyOf(table, a) > keyOf(table, b) ? 1 : 0));

const outcome = (projection: Projection, history: readonly AgentEvent[], events: readonly AgentEvent[]): ProjectionThen => {
  const apply = (tables: InMemoryTables, applied: readonly AgentEvent[]): InMemoryTables => {
    const changes = projectAll([projection], applied);
    changes.forEach((change) => checkChange(projection, change));
    return applyChanges(tables, changes, projection.tables);
  };
  const before = apply(emptyTables(projection.tables), history);
  const after = apply(before, events);

  return {
    then: ({ table: name, rows }) => {
      const table = tableOf(projection, name);
      const actual = byKey(table, Object.values(after[name] ?? {}));
      const expected = byKey(table, rows);
      if (!jsonEqual(actual, expected)) fail(`expected ${name} to hold ${show(expected)}\nbut it holds ${show(actual)}`);
    },
    thenRow: (name, key, expected) => {
      const table = tableOf(projection, name);
      const unknown = Object.keys(expected).filter((column) => !(column in table.columns));
      if (unknown.length > 0) fail(`${name} has no column ${unknown.join(', ')}`);
      const row = after[name]?.[stableKey(key)] ?? fail(`no ${name} row ${show(key)}; rows: ${show(Object.values(after[name] ?? {}))}`);
      const wrong = Object.keys(expected).filter((column) => !jsonEqual(row[column], expected[column]));
      if (wrong.length > 0) {
        fail(`${name} row ${show(key)} differs:\n${wrong.map((column) => `  ${column}: expected ${show(expected[column])}, got ${show(row[column])}`).join('\n')}`);
      }
    },
    thenNothingChanged: () => {
      if (!jsonEqual(after, before)) fail(`expected no change from ${show(before)}\nbut got ${show(after)}`);
    },
  };
};

const asList = (events: AgentEvent | readonly AgentEvent[]): readonly AgentEvent[] => ('type' in events ? [events] : events);

/**
 * Given/when/then for projections, after emmett's DeciderSpecification: the `given` events build
 * the tables, the `when` events change them, and `then` checks the tables as Postgres would hold them.
 * Each change is also checked against the projection's table definitions.
 */
export const ProjectionSpecification = {
  for: (projection: Projection): ProjectionGiven => {
    const given = (history: readonly AgentEvent[]): ProjectionWhen => ({ when: (events) => outcome(projection, history, asList(events)) });
    return { given, when: (events) => given([]).when(events) };
  },
};
