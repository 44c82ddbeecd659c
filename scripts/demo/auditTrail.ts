// The demo's audit part: the audit sink as its own process, then `agentbus audit verify` and
// `agentbus trace` as an operator would run them.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ConnectionConfig } from '@agentbus/config';
import { agentbusTopics, createKafka } from '@agentbus/kafka';
import { createDatabase } from '@agentbus/postgres-sink';
import { spawnService, type ServiceProcess } from '@agentbus/testing';

const cli = join(__dirname, '..', '..', 'services', 'cli', 'bin', 'agentbus.js');

export const startAuditSinkProcess = async (): Promise<ServiceProcess> => {
  const sink = spawnService('services/audit-sink/src/main.ts', { AUDIT_SINK_HTTP_PORT: '0', LOG_LEVEL: 'info' });
  const started = Date.now();
  while (!sink.output().includes('audit sink running')) {
    if (sink.child.exitCode !== null || Date.now() - started > 60_000) throw new Error(`the audit sink did not start:\n${sink.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return sink;
};

const agentbus = (...args: string[]): Promise<{ code: number | null; out: string }> =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, out }));
  });

/** Waits until the sink has stored everything Kafka holds, stops it, then verifies the chains and prints one causation tree. */
export const showAuditTrail = async (sink: ServiceProcess, connection: ConnectionConfig, correlationId: string): Promise<void> => {
  const admin = createKafka(connection.kafka).admin();
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-demo-audit' });
  try {
    await admin.connect();
    const ends = new Map<string, bigint>();
    for (const { topic } of agentbusTopics({ prefix: connection.topicPrefix, ...connection.topics })) {
      for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${p.partition}`, BigInt(p.high));
    }
    const caughtUp = async () => {
      const heads: { topic: string; partition: number; next_offset: string }[] = (await db.raw('select topic, partition, next_offset from audit.chain_heads')).rows;
      const at = new Map(heads.map((h) => [`${h.topic}/${h.partition}`, BigInt(h.next_offset)]));
      return [...ends].every(([key, high]) => high === 0n || (at.get(key) ?? 0n) >= high);
    };
    const deadline = Date.now() + 60_000;
    while (!(await caughtUp())) {
      if (Date.now() > deadline) throw new Error(`the audit sink did not catch up within 60 s:\n${sink.output().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
    await db.destroy();
    await sink.kill('SIGTERM');
  }
  const verify = await agentbus('audit', 'verify');
  console.log('\nAudit trail (agentbus audit verify; agentbus trace <correlationId>)');
  console.log(`  ${verify.out.trim().split('\n').join('\n  ')}`);
  if (verify.code !== 0) throw new Error('agentbus audit verify failed');
  const trace = await agentbus('trace', correlationId);
  console.log(`  ${trace.out.trim().split('\n').join('\n  ')}`);
  if (trace.code !== 0) throw new Error('agentbus trace failed');
};
