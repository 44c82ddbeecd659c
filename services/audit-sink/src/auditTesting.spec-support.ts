import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import type { Kafka } from 'kafkajs';
import type { Knex } from 'knex';

const cliBin = resolve(__dirname, '..', '..', 'cli', 'bin', 'agentbus.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real `agentbus` command in a child process, as an operator runs it. */
export const agentbusCli = (env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliRun> =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, [cliBin, ...args], { cwd: tmpdir(), env: { ...process.env, ...env, LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });

export const until = async (probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

export const countRows = async (db: Knex, topic?: string): Promise<number> =>
  Number((await db.raw(`select count(*) as n from audit.records${topic ? ' where topic = ?' : ''}`, topic ? [topic] : [])).rows[0].n);

/** Records per `topic/partition` as Kafka counts them (topics start at offset 0 and never lose records here). */
export const highWatermarks = async (kafka: Kafka, topics: readonly string[]): Promise<Map<string, number>> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out = new Map<string, number>();
    for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) out.set(`${topic}/${p.partition}`, Number(p.high) - Number(p.low));
    return out;
  } finally {
    await admin.disconnect();
  }
};
