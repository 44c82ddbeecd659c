import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Runs `npm run infra -- <args>` as a user would, for tests of the script itself. */
export const runInfraCli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [join(__dirname, '..', '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(__dirname, 'cli.ts'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 180_000,
  });
