import { z } from 'zod';
import { connectionSchema, parseConfigs, type Env } from '@agentbus/config';

const auditSinkSchema = z.object({
  AUDIT_SINK_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9404),
  AUDIT_SINK_GROUP_ID: z
    .string()
    .regex(/^[a-z][a-z0-9_.-]*$/, 'lower-case letters, digits, ".", "_" and "-"')
    // Default `<topic prefix>.audit-sink`: kafkajs assigns a group's partitions as if every member read
    // the same topics, so instances of two prefixes in one group would take each other's partitions.
    .optional(),
  // Partitions stored at once, each in its own transaction (and database connection). While one
  // batch waits for Postgres, the others decode and hash: 6 kept the sink busy where 3 left it
  // waiting (bench/README.md, audit sink); 12 added little more.
  AUDIT_SINK_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(6),
  // A SIGKILLed sink keeps its partitions until the broker expires its session.
  AUDIT_SINK_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

export const loadAuditSinkConfig = (env: Env = process.env) => {
  const { own, connection } = parseConfigs({ own: auditSinkSchema, connection: connectionSchema }, env);
  return {
    httpPort: own.AUDIT_SINK_HTTP_PORT,
    groupId: own.AUDIT_SINK_GROUP_ID ?? `${connection.topicPrefix}.audit-sink`,
    concurrency: own.AUDIT_SINK_CONCURRENCY,
    sessionTimeoutMs: own.AUDIT_SINK_SESSION_TIMEOUT_MS,
    logLevel: own.LOG_LEVEL,
    connection,
  };
};

export type AuditSinkConfig = ReturnType<typeof loadAuditSinkConfig>;
