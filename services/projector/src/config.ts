import { z } from 'zod';
import { connectionSchema, parseConfigs, type Env } from '@agentbus/config';
import { identityEnvSchema } from '@agentbus/identity';

const projectorSchema = z.object({
  PROJECTOR_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9401),
  PROJECTOR_CONSUMER: z
    .string()
    .regex(/^[a-z][a-z0-9_.-]*$/, 'lower-case letters, digits, ".", "_" and "-"')
    .default('projector'),
  // A SIGKILLed projector keeps its partitions until the broker expires its session; shorter means
  // faster failover and more rebalances on a slow network. 6 s is the broker's default minimum.
  PROJECTOR_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(30_000),
  // Partition batches applied together: the batches of one fetch share one transaction (group
  // commit), so a fetch spread over many partitions costs one COMMIT, not one per partition.
  PROJECTOR_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(16),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

export const loadProjectorConfig = (env: Env = process.env) => {
  const { own, connection, identity } = parseConfigs({ own: projectorSchema, connection: connectionSchema, identity: identityEnvSchema }, env);
  return { identity, httpPort: own.PROJECTOR_HTTP_PORT, consumer: own.PROJECTOR_CONSUMER, sessionTimeoutMs: own.PROJECTOR_SESSION_TIMEOUT_MS, partitionsConcurrently: own.PROJECTOR_PARTITIONS_CONCURRENTLY, logLevel: own.LOG_LEVEL, connection };
};

export type ProjectorConfig = ReturnType<typeof loadProjectorConfig>;
