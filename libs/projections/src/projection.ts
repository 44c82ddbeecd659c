import type { AgentEvent, EventPayloads, EventType } from '@agentbus/events';
import type { RowChange } from './rowChange';

export type ColumnType = 'text' | 'integer' | 'bigint' | 'double' | 'boolean' | 'timestamptz' | 'jsonb' | 'text[]';

export interface TableDefinition {
  name: string;
  /** The primary key columns; upserts and appends conflict on them. */
  key: readonly string[];
  columns: Record<string, ColumnType>;
}

export interface Projection {
  name: string;
  tables: readonly TableDefinition[];
  handles: readonly EventType[];
  project(event: AgentEvent): RowChange[];
}

/** An event whose payload type follows from its `type`, so a `switch` on `type` narrows the payload. */
export type EventOf<TType extends EventType> = { [K in TType]: AgentEvent<K, EventPayloads[K]> }[TType];

export interface ProjectionDefinition<TType extends EventType> {
  name: string;
  tables: readonly TableDefinition[];
  handles: readonly TType[];
  project: (event: EventOf<TType>) => RowChange[];
}

/** Events reach `project` already decoded against their schema, so `handles` is the only check left. */
export const defineProjection = <TType extends EventType>(definition: ProjectionDefinition<TType>): Projection => {
  const handled = new Set<string>(definition.handles);
  return {
    name: definition.name,
    tables: definition.tables,
    handles: definition.handles,
    project: (event) => (handled.has(event.type) ? definition.project(event as EventOf<TType>) : []),
  };
};

export const unhandled = (event: never): never => {
  throw new Error(`unhandled event type ${(event as AgentEvent).type}`);
};
