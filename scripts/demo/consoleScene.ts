// The console part of `npm run demo`: the operator console as its own process, with an operator
// whose password is made for this run only, and what it shows, read through its API as the web app reads it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { spawnService, type ServiceProcess } from '@agentbus/testing';
import { consoleUserEntry, oneTimePassword, sessionSecret } from '../deploy/consoleUsers';
import { repoRoot } from '../deploy/manifests';

const webApp = join(repoRoot, 'services', 'console', 'web');
/** A stable address for the demo's console; CONSOLE_HTTP_PORT overrides it. */
export const demoConsolePort = 9405;

export interface ConsoleProcess {
  process: ServiceProcess;
  url: string;
  user: string;
  password: string;
}

/** The port the console should take: the one asked for when it is free, else 0 (any free port). */
export const consolePort = async (wanted: number, isFree: (port: number) => Promise<boolean>): Promise<number> => (wanted !== 0 && (await isFree(wanted)) ? wanted : 0);

const isFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    // Where the console's server listens (libs/runtime opsServer).
    probe.listen(port, '0.0.0.0', () => probe.close(() => resolve(true)));
  });

const buildWebAppOnce = (say: (line: string) => void): void => {
  if (existsSync(join(webApp, 'dist', 'index.html'))) return;
  say('console  building its web app once: vite build services/console/web');
  const build = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', webApp], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) throw new Error('vite build of the console web app failed');
};

export const startConsoleProcess = async (say: (line: string) => void): Promise<ConsoleProcess> => {
  buildWebAppOnce(say);
  const wanted = Number(process.env.CONSOLE_HTTP_PORT ?? demoConsolePort);
  const port = await consolePort(wanted, isFree);
  if (port !== wanted) say(`console  port ${wanted} is taken; the console takes any free port instead`);
  const user = 'operator';
  const password = oneTimePassword();
  const started = Date.now();
  const child = spawnService('services/console/src/main.ts', {
    CONSOLE_HTTP_PORT: String(port),
    CONSOLE_USERS: consoleUserEntry(user, 'operator', password),
    CONSOLE_SESSION_SECRET: sessionSecret(),
    LOG_LEVEL: 'info',
  });
  let listening: string | undefined;
  while (!(listening = /"port":(\d+)[^\n]*"msg":"console running"/.exec(child.output())?.[1])) {
    if (child.child.exitCode !== null || Date.now() - started > 60_000) throw new Error(`the console did not start:\n${child.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { process: child, url: `http://127.0.0.1:${listening}`, user, password };
};

interface Overview {
  agents: Record<string, number>;
  sagas: Record<string, number>;
  deadLettersWaiting: number | null;
}

const counts = (byStatus: Record<string, number>): string =>
  Object.entries(byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${n} ${status}`)
    .join(', ') || 'none';

/** Logs in as the demo's operator and reads GET /api/overview: one line of what the console shows. */
export const consoleOverviewLine = async (running: ConsoleProcess): Promise<string> => {
  const login = await fetch(`${running.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: running.user, password: running.password }) });
  if (login.status !== 200) throw new Error(`the console refused the demo's operator: ${login.status}`);
  const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
  const answer = await fetch(`${running.url}/api/overview`, { headers: { Cookie: cookie } });
  if (answer.status !== 200) throw new Error(`GET /api/overview answered ${answer.status}: ${await answer.text()}`);
  const overview = (await answer.json()) as Overview;
  return `agents ${counts(overview.agents)}; sagas ${counts(overview.sagas)}; dead letters waiting ${overview.deadLettersWaiting ?? 'unknown (no audit trail)'}`;
};
