import { z } from 'zod';
import { connectionSchema, parseConfigs, type Env } from '@agentbus/config';
import { identityEnvSchema } from '@agentbus/identity';

const orchestratorSchema = z.object({
  SAGA_ORCHESTRATOR_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9402),
  SAGA_ORCHESTRATOR_GROUP: z
    .string()
    .regex(/^[a-z][a-z0-9_.-]*$/, 'lower-case letters, digits, ".", "_" and "-"')
    // Default `<topic prefix>.saga-orchestrator`: kafkajs assigns a group's partitions as if every member read
    // the same topics, so instances of two prefixes in one group would take each other's partitions.
    .optional(),
  // A SIGKILLed instance keeps its partitions (and so its sagas) until the broker expires its session.
  SAGA_ORCHESTRATOR_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(30_000),
  /** How often due deadlines and retries are looked for. */
  /** Partitions (of all topics read) whose batches are decided at once, each in its own transaction. */
  SAGA_ORCHESTRATOR_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(16),
  SAGA_TIMER_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  /** Where capability-based steps find agents: the presence monitor's table, or the projector's read.agents. */
  SAGA_AGENT_DIRECTORY: z.enum(['presence', 'read-model']).default('presence'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

export const loadOrchestratorConfig = (env: Env = process.env) => {
  const { own, connection, identity } = parseConfigs({ own: orchestratorSchema, connection: connectionSchema, identity: identityEnvSchema }, env);
  return {
    identity,
    httpPort: own.SAGA_ORCHESTRATOR_HTTP_PORT,
    groupId: own.SAGA_ORCHESTRATOR_GROUP ?? `${connection.topicPrefix}.saga-orchestrator`,
    sessionTimeoutMs: own.SAGA_ORCHESTRATOR_SESSION_TIMEOUT_MS,
    timerIntervalMs: own.SAGA_TIMER_INTERVAL_MS,
    concurrency: own.SAGA_ORCHESTRATOR_CONCURRENCY,
    agentDirectory: own.SAGA_AGENT_DIRECTORY,
    logLevel: own.LOG_LEVEL,
    connection,
  };
};

export type OrchestratorConfig = ReturnType<typeof loadOrchestratorConfig>;
