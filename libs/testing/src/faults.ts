import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const repoRoot = join(__dirname, '..', '..', '..');
// tsx's loader, not its CLI: the CLI runs the script in a child process, so a SIGKILL would hit
// only the wrapper and leave the service running as an orphan.
const tsxLoader = join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs');

export interface ServiceProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** Runs a service's main.ts as its own process, as operators would, so faults can really kill it. */
export const spawnService = (mainFile: string, env: NodeJS.ProcessEnv): ServiceProcess => {
  const child = spawn(process.execPath, ['--import', tsxLoader, join(repoRoot, mainFile)], {
    env: { ...process.env, TSX_TSCONFIG_PATH: join(repoRoot, 'tsconfig.json'), LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
};

/** Restarts the machine's Postgres cluster (Debian's pg_ctlcluster). Fails loudly where that is impossible. */
export const restartPostgres = (): void => {
  const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : [];
  if (versions.length === 0) throw new Error('cannot restart Postgres here: no Debian cluster under /etc/postgresql');
  const result = spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', versions[0]!, 'main', 'restart', '--', '-m', 'fast'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`pg_ctlcluster restart failed: ${result.stderr || result.error?.message}`);
};
