import { hostname } from 'node:os';
import { z } from 'zod';
import { connectionSchema, parseConfigs, type Env } from '@agentbus/config';
import { identityEnvSchema } from '@agentbus/identity';
import { defaultFailureTimeoutMs, parseClassTimeouts } from '@agentbus/presence';

const presenceSchema = z.object({
  PRESENCE_MONITOR_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9403),
  PRESENCE_MONITOR_CONSUMER: z
    .string()
    .regex(/^[a-z][a-z0-9_.-]*$/, 'lower-case letters, digits, ".", "_" and "-"')
    .default('presence-monitor'),
  /** Names this instance in agent.suspected_failure's detectedBy. */
  PRESENCE_MONITOR_ID: z.string().min(1).default(`presence-monitor@${hostname()}`),
  PRESENCE_TIMEOUT_MS: z.coerce.number().int().min(100).default(defaultFailureTimeoutMs),
  PRESENCE_CLASS_TIMEOUTS: z
    .string()
    .default('')
    .transform((text, ctx) => {
      try {
        return parseClassTimeouts(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  // How often deadlines are checked: the detection delay beyond the timeout is at most this plus
  // the publish; checking 10k agents takes well under a millisecond.
  PRESENCE_TICK_MS: z.coerce.number().int().min(10).max(10_000).default(250),
  // A SIGKILLed monitor keeps its partitions until the broker expires its session; its agents go
  // unwatched that long, then their new owner waits one timeout (see takeOver).
  PRESENCE_MONITOR_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

export const loadPresenceMonitorConfig = (env: Env = process.env) => {
  const { own, connection, identity } = parseConfigs({ own: presenceSchema, connection: connectionSchema, identity: identityEnvSchema }, env);
  return {
    identity,
    httpPort: own.PRESENCE_MONITOR_HTTP_PORT,
    consumer: own.PRESENCE_MONITOR_CONSUMER,
    monitorId: own.PRESENCE_MONITOR_ID,
    timeoutMs: own.PRESENCE_TIMEOUT_MS,
    classTimeouts: own.PRESENCE_CLASS_TIMEOUTS,
    tickMs: own.PRESENCE_TICK_MS,
    sessionTimeoutMs: own.PRESENCE_MONITOR_SESSION_TIMEOUT_MS,
    logLevel: own.LOG_LEVEL,
    connection,
  };
};

export type PresenceMonitorConfig = ReturnType<typeof loadPresenceMonitorConfig>;
