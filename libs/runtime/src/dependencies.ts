import { assertRegistryReachable } from '@agentbus/codec';
import type { ConnectionConfig } from '@agentbus/config';
import { isRetriable } from '@agentbus/events';
import { assertBrokerReachable } from '@agentbus/kafka';
import { redactUrl } from '@agentbus/logger';
import { assertDatabaseReachable } from '@agentbus/postgres-sink';

/** Something a service needs before it can start, and how to tell whether it answers. */
export interface Dependency {
  /** As /health and the logs name it. */
  name: string;
  /** Where it is expected, without credentials. */
  address: string;
  /** Resolves when it answers; rejects with a retriable error while it is down, a non-retriable one when waiting cannot help (refused credentials). */
  check(): Promise<void>;
}

export interface Unavailable {
  dependency: Dependency;
  error: unknown;
}

/** The broker, the schema registry and Postgres, as every agentbus service reaches them. */
export const connectionDependencies = (connection: ConnectionConfig): Dependency[] => [
  { name: 'kafka', address: connection.kafka.brokers.join(','), check: () => assertBrokerReachable(connection.kafka, 5000) },
  { name: 'schema registry', address: connection.registry.url, check: () => assertRegistryReachable(connection.registry) },
  { name: 'postgres', address: redactUrl(connection.databaseUrl), check: () => assertDatabaseReachable(connection.databaseUrl) },
];

/** Every dependency that does not answer yet. A failure that waiting cannot mend is thrown. */
export const unavailable = async (dependencies: readonly Dependency[]): Promise<Unavailable[]> => {
  const results = await Promise.all(
    dependencies.map((dependency) =>
      dependency.check().then(
        () => undefined,
        (error: unknown) => ({ dependency, error }),
      ),
    ),
  );
  const down = results.filter((r): r is Unavailable => r !== undefined);
  const fatal = down.find((d) => !isRetriable(d.error));
  if (fatal) throw fatal.error;
  return down;
};

export const describeUnavailable = (down: readonly Unavailable[]): string =>
  down.map(({ dependency, error }) => `${dependency.name} at ${dependency.address}: ${error instanceof Error ? error.message : String(error)}`).join('; ');
