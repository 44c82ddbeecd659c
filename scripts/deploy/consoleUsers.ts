// Console logins made the way an operator makes them: services/console/src/hashPassword.ts with the
// password on stdin (the scripts reach a service through its tools, never its modules).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { repoRoot } from './manifests';

const hashPassword = join(repoRoot, 'services', 'console', 'src', 'hashPassword.ts');
const tsxLoader = join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs');

/** One CONSOLE_USERS entry (user:role:salt:hash) for this password. */
export const consoleUserEntry = (user: string, role: 'viewer' | 'operator', password: string): string => {
  const result = spawnSync(process.execPath, ['--import', tsxLoader, hashPassword, user, role], {
    input: `${password}\n`,
    encoding: 'utf8',
    env: { ...process.env, TSX_TSCONFIG_PATH: join(repoRoot, 'tsconfig.json') },
  });
  const entry = result.stdout.trim();
  if (result.status !== 0 || !entry.startsWith(`${user}:${role}:`)) throw new Error(`hashPassword.ts ${user} ${role} failed: ${result.stderr || result.error?.message}`);
  return entry;
};

/** A password for one run: 16 URL-safe characters, 96 random bits. */
export const oneTimePassword = (): string => randomBytes(12).toString('base64url');

/** A key for the console's session cookies (CONSOLE_SESSION_SECRET wants 32 characters or more). */
export const sessionSecret = (): string => randomBytes(32).toString('hex');
