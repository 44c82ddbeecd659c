import { z } from 'zod';

const hostPort = /^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/;

/** Comma-separated host:port list. */
export const brokerList = z
  .string()
  .transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean))
  .refine((list) => list.length > 0 && list.every((b) => hostPort.test(b)), {
    message: 'expected a comma-separated list of host:port',
  });

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .default('false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * Where the broker, registry and database are. Defaults point at what `npm run infra -- up` starts;
 * the AGENTBUS_*_PORT variables move both the local infrastructure and these defaults together.
 */
export const localPortsSchema = z.object({
  AGENTBUS_KAFKA_PORT: port(9092),
  AGENTBUS_KAFKA_CONTROLLER_PORT: port(9093),
  AGENTBUS_KAFKA_SCRAM_PORT: port(9094),
  AGENTBUS_REGISTRY_PORT: port(8081),
  AGENTBUS_PG_PORT: port(5432),
});
export type LocalPorts = z.output<typeof localPortsSchema>;

const connectionFields = z.object({
  KAFKA_BROKERS: brokerList.optional(),
  KAFKA_CLIENT_ID: z.string().min(1).default('agentbus'),
  KAFKA_SSL: booleanFlag,
  KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-256', 'scram-sha-512', 'plain']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  KAFKA_CONNECT_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  SCHEMA_REGISTRY_URL: z.url().optional(),
  SCHEMA_REGISTRY_USERNAME: z.string().min(1).optional(),
  SCHEMA_REGISTRY_PASSWORD: z.string().min(1).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
    .optional(),
  AGENTBUS_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(3),
  AGENTBUS_TOPIC_REPLICATION: z.coerce.number().int().min(1).max(10).default(1),
  AGENTBUS_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only')
    .default('agentbus'),
});

export const connectionSchema = connectionFields
  .extend(localPortsSchema.shape)
  .superRefine((c, ctx) => {
    if (c.KAFKA_SASL_MECHANISM && (!c.KAFKA_SASL_USERNAME || !c.KAFKA_SASL_PASSWORD)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.KAFKA_SASL_USERNAME ? 'KAFKA_SASL_PASSWORD' : 'KAFKA_SASL_USERNAME'],
        message: `is required when KAFKA_SASL_MECHANISM is set`,
      });
    }
  })
  .transform((c) => ({
    kafka: {
      brokers: c.KAFKA_BROKERS ?? [`127.0.0.1:${c.AGENTBUS_KAFKA_PORT}`],
      clientId: c.KAFKA_CLIENT_ID,
      ssl: c.KAFKA_SSL,
      sslCaFile: c.KAFKA_SSL_CA_FILE,
      sasl:
        c.KAFKA_SASL_MECHANISM && c.KAFKA_SASL_USERNAME && c.KAFKA_SASL_PASSWORD
          ? { mechanism: c.KAFKA_SASL_MECHANISM, username: c.KAFKA_SASL_USERNAME, password: c.KAFKA_SASL_PASSWORD }
          : undefined,
      connectTimeoutMs: c.KAFKA_CONNECT_TIMEOUT_MS,
    },
    registry: {
      url: c.SCHEMA_REGISTRY_URL ?? `http://127.0.0.1:${c.AGENTBUS_REGISTRY_PORT}/apis/ccompat/v7`,
      auth:
        c.SCHEMA_REGISTRY_USERNAME && c.SCHEMA_REGISTRY_PASSWORD
          ? { username: c.SCHEMA_REGISTRY_USERNAME, password: c.SCHEMA_REGISTRY_PASSWORD }
          : undefined,
    },
    databaseUrl: c.DATABASE_URL ?? `postgres://postgres@127.0.0.1:${c.AGENTBUS_PG_PORT}/agentbus`,
    topicPrefix: c.AGENTBUS_TOPIC_PREFIX,
    topics: { partitions: c.AGENTBUS_TOPIC_PARTITIONS, replicationFactor: c.AGENTBUS_TOPIC_REPLICATION },
  }));

export type ConnectionConfig = z.output<typeof connectionSchema>;
export type KafkaConnection = ConnectionConfig['kafka'];
export type RegistryConnection = ConnectionConfig['registry'];
