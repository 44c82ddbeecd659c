import type { AgentEvent } from '@agentbus/events';
import { foldChanges } from './foldChanges';
import { applyChanges, emptyTables, type InMemoryTables } from './inMemoryTables';
import type { Projection } from './projection';
import type { RowChange } from './rowChange';

/** The changes of every projection that handles each event, in event order. */
export const projectAll = (projections: readonly Projection[], events: readonly AgentEvent[]): RowChange[] =>
  events.flatMap((event) =>
    projections
      .filter((projection) => (projection.handles as readonly string[]).includes(event.type))
      .flatMap((projection) => projection.project(event)),
  );

/** The read models as they stand after `events`, every declared table present even when empty. */
export const replay = (projections: readonly Projection[], events: readonly AgentEvent[]): InMemoryTables => {
  const definitions = projections.flatMap((projection) => projection.tables);
  return applyChanges(emptyTables(definitions), foldChanges(projectAll(projections, events)), definitions);
};
