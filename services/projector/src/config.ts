import { z } from 'zod';
import { connectionSchema, parseConfigs, type Env } from '@agentbus/config';

const projectorSchema = z.object({
  PROJECTOR_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9401),
  PROJECTOR_CONSUMER: z
    .string()
    .regex(/^[a-z][a-z0-9_.-]*$/, 'lower-case letters, digits, ".", "_" and "-"')
    .default('projector'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

export const loadProjectorConfig = (env: Env = process.env) => {
  const { own, connection } = parseConfigs({ own: projectorSchema, connection: connectionSchema }, env);
  return { httpPort: own.PROJECTOR_HTTP_PORT, consumer: own.PROJECTOR_CONSUMER, logLevel: own.LOG_LEVEL, connection };
};

export type ProjectorConfig = ReturnType<typeof loadProjectorConfig>;
