import { basename, resolve } from 'node:path';
import { z } from 'zod';
import { connectionSchema, parseConfigs, type Env } from '@agentbus/config';
import { parseUsers } from './auth/users';

/**
 * The built web app when CONSOLE_WEB_DIR names none: services/console/web/dist of the checkout, found
 * from the sources (services/console/src) or from their bundle (dist/services/console/main.js, whose
 * __dirname is not the sources'). Images copy the app elsewhere and set CONSOLE_WEB_DIR.
 */
export const defaultWebDir = (moduleDir: string): string =>
  basename(moduleDir) === 'src' ? resolve(moduleDir, '..', 'web', 'dist') : resolve(moduleDir, '..', '..', '..', 'services', 'console', 'web', 'dist');

const consoleSchema = z.object({
  CONSOLE_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9405),
  // user:role:salt:hash entries, comma-separated; make one with `npx tsx services/console/src/hashPassword.ts`.
  CONSOLE_USERS: z.string().min(1, 'needs at least one user:role:salt:hash entry').transform((text, ctx) => {
    try {
      return parseUsers(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  }),
  CONSOLE_SESSION_SECRET: z.string().min(32, 'must be at least 32 characters'),
  CONSOLE_SESSION_TTL_MS: z.coerce.number().int().min(60_000).default(8 * 3_600_000),
  // Behind TLS the cookie must say Secure; on http://localhost a browser would drop it.
  CONSOLE_COOKIE_SECURE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  CONSOLE_WEB_DIR: z.string().min(1).default(defaultWebDir(__dirname)),
  // How often live updates look at the read models; a suspected agent must turn red within 2 s.
  CONSOLE_LIVE_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

export const loadConsoleConfig = (env: Env = process.env) => {
  const { own, connection } = parseConfigs({ own: consoleSchema, connection: connectionSchema }, env);
  return {
    httpPort: own.CONSOLE_HTTP_PORT,
    users: own.CONSOLE_USERS,
    sessionSecret: own.CONSOLE_SESSION_SECRET,
    sessionTtlMs: own.CONSOLE_SESSION_TTL_MS,
    cookieSecure: own.CONSOLE_COOKIE_SECURE,
    webDir: own.CONSOLE_WEB_DIR,
    liveIntervalMs: own.CONSOLE_LIVE_INTERVAL_MS,
    logLevel: own.LOG_LEVEL,
    connection,
  };
};

export type ConsoleConfig = ReturnType<typeof loadConsoleConfig>;
