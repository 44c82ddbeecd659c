import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer } from 'node:net';
import { InfraError } from './infraError';

export const isAlive = (pid: number | undefined): boolean => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !isZombie(pid);
};

/**
 * A killed process stays in the table until its parent reaps it. `npm test` starts the broker
 * from its own process and then blocks in spawnSync while jest runs, so a broker a test SIGKILLs
 * stays a zombie for the whole run: it answers signal 0 but is dead. Linux's /proc says which.
 */
const isZombie = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
};

/** Starts a long-running process in its own process group, detached from this one. */
export const startDetached = (command: string, args: string[], options: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv }): number => {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  if (child.pid === undefined) throw new InfraError(`could not start ${command}`);
  child.unref();
  return child.pid;
};

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const signalGroup = (pid: number, sig: NodeJS.Signals): void => {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
};

/** SIGTERM the process group, then SIGKILL what is left after the grace period. */
export const stopProcess = async (pid: number, graceMs = 15_000): Promise<void> => {
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
};

/** SIGKILL the process group at once: a crash, with no chance to shut down cleanly. */
export const killProcess = async (pid: number): Promise<void> => {
  signalGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
};

const isPortFree = (port: number): Promise<boolean> =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

export const assertPortFree = async (port: number, owner: string, variable: string): Promise<void> => {
  if (!(await isPortFree(port))) throw new InfraError(`port ${port} (${owner}) is already in use by another process: stop it, or pick another port with ${variable}=<port>`);
};

/**
 * After a kill: the process group's leader can be gone while a child (the JVM) is still exiting
 * and holding its ports, longer on a loaded machine. Waits for the ports to be released.
 */
export const waitForPortsFree = async (ports: readonly { port: number; owner: string; variable: string }[], timeoutMs = 60_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (const p of ports) {
    while (!(await isPortFree(p.port)) && Date.now() < deadline) await sleep(100);
    await assertPortFree(p.port, p.owner, p.variable);
  }
};

export const waitFor = async (what: string, check: () => Promise<boolean>, options: { timeoutMs: number; logFile?: string; pid?: number }): Promise<void> => {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (options.pid !== undefined && !isAlive(options.pid)) {
      throw new InfraError(`${what} exited during start-up; see ${options.logFile ?? 'its log'} (npm run infra -- logs)`);
    }
    await sleep(250);
  }
  throw new InfraError(`${what} was not ready after ${options.timeoutMs / 1000}s; see ${options.logFile ?? 'its log'} (npm run infra -- logs)`);
};

export const commandOutput = (command: string, args: string[]): { ok: boolean; output: string } => {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) return { ok: false, output: result.error.message };
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
};

export const run = (command: string, args: string[], options: { cwd?: string; what: string; env?: NodeJS.ProcessEnv }): string => {
  const result = spawnSync(command, args, { cwd: options.cwd, encoding: 'utf8', env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 });
  if (result.error || result.status !== 0) {
    const tail = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-8).join('\n');
    throw new InfraError(`${options.what} failed (${command} ${args.slice(0, 3).join(' ')} ...):\n${tail || result.error?.message}`);
  }
  return result.stdout;
};
