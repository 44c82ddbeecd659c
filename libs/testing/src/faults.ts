import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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

/**
 * Restarts the integration Postgres through `npm run infra -- restart postgres`, which knows
 * whether `up` runs it embedded or found the machine's cluster. Fails loudly where that is impossible.
 */
export const restartPostgres = (): void => {
  const result = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(repoRoot, 'scripts', 'infra', 'cli.ts'), 'restart', 'postgres'], {
    encoding: 'utf8',
    cwd: repoRoot,
  });
  if (result.status !== 0) throw new Error(`restarting Postgres failed: ${result.stderr || result.stdout || result.error?.message}`);
};
