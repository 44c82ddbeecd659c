import * as avro from 'avsc';
import type { EventSchema, SchemaCatalog } from './schemaCatalog';

export interface CompatibilityProblem {
  eventType: string;
  reader: number;
  writer: number;
  reason: string;
}

/**
 * BACKWARD_TRANSITIVE, checked locally with Avro schema resolution: every version must be able
 * to read data written by each version before it. The registry enforces the same rule; this
 * catches a breaking change before anything is registered.
 */
export const checkBackwardTransitive = (catalog: SchemaCatalog): CompatibilityProblem[] =>
  catalog.eventTypes().flatMap((eventType) => problemsIn(catalog.history(eventType)));

const problemsIn = (history: readonly EventSchema[]): CompatibilityProblem[] =>
  history.flatMap((reader, i) =>
    history.slice(0, i).flatMap((writer) => {
      const reason = resolutionProblem(reader.avroType, writer.avroType);
      return reason ? [{ eventType: reader.eventType, reader: reader.version, writer: writer.version, reason }] : [];
    }),
  );

export const resolutionProblem = (reader: avro.Type, writer: avro.Type): string | undefined => {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
};
