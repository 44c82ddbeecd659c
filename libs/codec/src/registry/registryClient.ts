import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { RegistryConnection } from '@agentbus/config';
import { isAgentbusError } from '@agentbus/events';
import { RegistryUnavailableError, SchemaIncompatibleError, SchemaNotFoundError } from './registryErrors';

export interface RegistryClient {
  readonly url: string;
  /** Sets the subject to BACKWARD_TRANSITIVE, then registers (idempotent: same schema, same id). */
  register(subject: string, schema: object): Promise<number>;
  /** The id of a schema already registered under the subject; never registers. */
  lookup(subject: string, schema: object): Promise<number>;
  /** The writer schema behind an id, as Avro JSON. */
  schemaById(id: number): Promise<object>;
}

export interface RegistryClientOptions {
  /** Attempts for one call before it fails as unavailable; keeps failures bounded in time. */
  retries?: number;
}

type LibError = Error & { status?: number; code?: string; cause?: unknown };

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN']);

const isNetworkError = (error: LibError): boolean =>
  networkCodes.has(String(error.code)) ||
  /ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|socket hang up|fetch failed/i.test(error.message) ||
  (error.status !== undefined && error.status >= 500);

export const createRegistryClient = (connection: RegistryConnection, options: RegistryClientOptions = {}): RegistryClient => {
  const url = connection.url.replace(/\/+$/, '');
  const registry = new SchemaRegistry({
    host: url,
    ...(connection.auth ? { auth: connection.auth } : {}),
    retry: { retries: options.retries ?? 2, initialRetryTimeInSecs: 0.1, maxRetryTimeInSecs: 1 },
  });

  const mapError = (error: unknown, subject: string | undefined): never => {
    if (isAgentbusError(error)) throw error;
    const e = error as LibError;
    if (e.name === 'ConfluentSchemaRegistryCompatibilityError' || e.status === 409) {
      throw new SchemaIncompatibleError(subject ?? '(unknown subject)', e.message, error);
    }
    if (e.status === 404) throw new SchemaNotFoundError(subject ?? e.message, error);
    if (isNetworkError(e)) throw new RegistryUnavailableError(url, e.message, error);
    throw error;
  };

  // Set before the first registration, so even version 2 is checked against the rule.
  const setCompatibility = async (subject: string): Promise<void> => {
    const response = await fetch(`${url}/config/${encodeURIComponent(subject)}`, {
      method: 'PUT',
      headers: {
        'Content-Type': 'application/vnd.schemaregistry.v1+json',
        ...(connection.auth ? { Authorization: `Basic ${Buffer.from(`${connection.auth.username}:${connection.auth.password}`).toString('base64')}` } : {}),
      },
      body: JSON.stringify({ compatibility: COMPATIBILITY.BACKWARD_TRANSITIVE }),
      signal: AbortSignal.timeout(5000),
    }).catch((error: Error) => {
      throw new RegistryUnavailableError(url, (error.cause as Error | undefined)?.message ?? error.message, error);
    });
    if (!response.ok) {
      const body = await response.text();
      if (response.status >= 500) throw new RegistryUnavailableError(url, `HTTP ${response.status} ${body}`);
      throw new SchemaIncompatibleError(subject, `cannot set compatibility: HTTP ${response.status} ${body}`);
    }
  };

  return {
    url,
    async register(subject, schema) {
      try {
        await setCompatibility(subject);
        const { id } = await registry.register(
          { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
          { subject, compatibility: COMPATIBILITY.BACKWARD_TRANSITIVE },
        );
        return id;
      } catch (error) {
        return mapError(error, subject);
      }
    },
    async lookup(subject, schema) {
      try {
        return await registry.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema: JSON.stringify(schema) });
      } catch (error) {
        return mapError(error, subject);
      }
    },
    async schemaById(id) {
      try {
        const type = (await registry.getSchema(id)) as unknown as { schema(opts?: object): object };
        return type.schema({ exportAttrs: true });
      } catch (error) {
        return mapError(error, `schema id ${id}`);
      }
    },
  };
};
