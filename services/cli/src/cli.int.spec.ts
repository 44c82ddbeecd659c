import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { Client } from 'pg';
import type { Producer } from 'kafkajs';
import { createKafkaEventBus, type KafkaEventBus, type Subscription } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { AgentbusError } from '@agentbus/events';
import { agentbusTopics, createKafka, readToEnd } from '@agentbus/kafka';
import { createLogger } from '@agentbus/logger';
import { createTestDatabase, uniquePrefix, type TestDatabase } from '@agentbus/testing';

const bin = resolve(__dirname, '..', 'bin', 'agentbus.js');
const base = parseConfig(connectionSchema);
const prefix = uniquePrefix('cli');
const connection = { ...base, topicPrefix: prefix };
const kafka = createKafka(base.kafka);
const taskTopic = `${prefix}.task`;
const garbage = Buffer.from('definitely not avro');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real CLI in a child process, started from another directory than the checkout. */
const agentbus = (...args: string[]): Promise<Run> =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: tmpdir(),
      env: { ...process.env, AGENTBUS_TOPIC_PREFIX: prefix, DATABASE_URL: database.url, LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

const waitFor = async <T>(read: () => Promise<T>, until: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (until(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last saw ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

const taskCreated = (taskId: string, priority: 'low' | 'normal' | 'high' | 'critical') => ({
  type: 'task.created' as const,
  source: 'did:agent:planner',
  payload: { taskId, description: `Reconcile ledger ${taskId}`, priority, domain: 'financial' },
});

let database: TestDatabase;
let bus: KafkaEventBus;
let producer: Producer;
let subscription: Subscription | undefined;

beforeAll(async () => {
  database = await createTestDatabase('cli', base.databaseUrl);
  bus = createKafkaEventBus({
    connection,
    service: 'cli-test',
    logger: createLogger({ name: 'cli-test', level: process.env.LOG_LEVEL ?? 'fatal', pretty: false }),
    consumer: { sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100, rebalanceTimeout: 10_000 },
  });
  producer = kafka.producer();
  await producer.connect();
});

afterAll(async () => {
  await subscription?.unsubscribe();
  await bus?.close({ deadlineMs: 5000 });
  await producer?.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: agentbusTopics({ prefix, partitions: 1, replicationFactor: 1 }).map((t) => t.topic) }).catch(() => undefined);
  await admin.disconnect();
  await database?.drop();
});

describe('agentbus --help', () => {
  it.each([
    [['--help'], 'Usage: agentbus [options] [command]', 'Examples:'],
    [['topics', '--help'], 'Usage: agentbus topics', 'setup [options]'],
    [['topics', 'setup', '--help'], 'Usage: agentbus topics setup [options]', 'Examples:'],
    [['tail', '--help'], 'Usage: agentbus tail [options] <pattern>', 'Examples:'],
    [['dlq', '--help'], 'Usage: agentbus dlq', 'replay [options]'],
    [['dlq', 'list', '--help'], 'Usage: agentbus dlq list [options]', 'Examples:'],
    [['dlq', 'show', '--help'], 'Usage: agentbus dlq show [options] <partition:offset>', 'Examples:'],
    [['dlq', 'replay', '--help'], 'Usage: agentbus dlq replay [options]', 'Examples:'],
  ])('%j prints usage and exits 0', async (args, usage, more) => {
    const run = await agentbus(...args);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(usage);
    expect(run.stdout).toContain(more);
  });

  it('prints the version', async () => {
    const run = await agentbus('--version');
    expect({ code: run.code, stdout: run.stdout.trim() }).toEqual({ code: 0, stdout: '0.1.0' });
  });

  it('exits 2 on an unknown command or option', async () => {
    expect((await agentbus('nope')).code).toBe(2);
    expect((await agentbus('tail', 'task.*', '--bogus')).code).toBe(2);
  });

  it.each([[['nosuchcommand']], [['nosuchcommand', '--help']], [['help', 'nosuchcommand']], [['dlq', 'nosuchcommand', '--help']]])(
    '%j names the unknown command on stderr and exits 2, help or not',
    async (args) => {
      const run = await agentbus(...args);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("unknown command 'nosuchcommand'");
      expect(run.stdout).toBe('');
    },
  );
});

describe('agentbus against the real infrastructure', () => {
  it('topics setup creates the topics, registers the schemas and prepares the read models, then creates nothing the second time', async () => {
    const first = await agentbus('topics', 'setup', '--json');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const created = JSON.parse(first.stdout) as { createdTopics: string[]; topics: string[]; subjects: { subject: string; version: number; id: number }[]; readModels: { schema: string; generation: number } };
    const all = agentbusTopics({ prefix, partitions: 1, replicationFactor: 1 }).map((t) => t.topic);
    expect(created.topics).toEqual(all);
    expect([...created.createdTopics].sort()).toEqual([...all].sort());
    expect(created.subjects).toContainEqual(expect.objectContaining({ subject: `${prefix}.task-agentbus.task.TaskCreated`, version: 1 }));
    expect(created.subjects.filter((s) => s.subject === `${prefix}.task-agentbus.task.TaskCompleted`).map((s) => s.version)).toEqual([1, 2]);
    expect(created.readModels).toEqual({ schema: 'read_models_g1', generation: 1 });

    const second = await agentbus('topics', 'setup', '--json');
    expect(second.code).toBe(0);
    const again = JSON.parse(second.stdout) as typeof created;
    expect(again.createdTopics).toEqual([]);
    expect(again.subjects).toEqual(created.subjects);
    expect(again.readModels).toEqual(created.readModels);

    const pg = new Client({ connectionString: database.url });
    await pg.connect();
    try {
      const { rows } = await pg.query('select active_schema from agentbus_meta.projection_state');
      expect(rows).toEqual([{ active_schema: 'read_models_g1' }]);
    } finally {
      await pg.end();
    }
  });

  it('topics setup prints what it created and what existed', async () => {
    const run = await agentbus('topics', 'setup');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('topics: 0 created');
    expect(run.stdout).toContain(`  exists  ${taskTopic}`);
    expect(run.stdout).toContain('read models: generation 1 is live in schema read_models_g1');
  });

  it('tail --from earliest prints only events matching the pattern and the filter, then exits at --limit', async () => {
    await bus.publishMany([taskCreated('t-low', 'low'), taskCreated('t-high', 'high'), taskCreated('t-critical', 'critical')]);
    const run = await agentbus('tail', 'task.*', '--from', 'earliest', '--limit', '2', '--json', '--filter', '{"payload.priority":{"$gte":"high"}}');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines).toHaveLength(2);
    const events = lines.map((l) => l.event as { type: string; payload: { taskId: string; priority: string } });
    expect(events.map((e) => e.payload.taskId).sort()).toEqual(['t-critical', 't-high']);
    expect(lines.every((l) => l.topic === taskTopic && typeof l.partition === 'number' && typeof l.offset === 'string')).toBe(true);
  });

  it('tail prints one compact line per event', async () => {
    const run = await agentbus('tail', 'task.created', '--from', 'earliest', '--limit', '3');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.map((line) => line.split(' ')[4]).sort()).toEqual(['t-critical', 't-high', 't-low']);
    expect(lines.find((line) => line.includes(' t-critical '))).toMatch(/^\d{4}-\d\d-\d\dT\S+Z task\.created task\.created did:agent:planner t-critical taskId=t-critical description="Reconcile ledger t-critical" priority=critical domain=financial$/);
  });

  it('tail --from an ISO time starts at the first event at or after it', async () => {
    const since = new Date(Date.now() + 5).toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await bus.publish(taskCreated('t-later', 'normal'));
    const run = await agentbus('tail', 'task.#', '--from', since, '--limit', '1', '--json');
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout).map((l) => (l.event as { payload: { taskId: string } }).payload.taskId)).toEqual(['t-later']);
  });

  it.each([
    ['an unknown filter operator', ['task.*', '--filter', '{"payload.priority":{"$foo":"high"}}'], 'unknown operator $foo'],
    ['a filter that is not JSON', ['task.*', '--filter', '{payload'], '--filter: not valid JSON'],
    ['a wildcard inside a word', ['ta*sk'], 'mixes a wildcard with text'],
    ['a pattern no key can start with', ['nothing.here'], 'no event\'s routing key can start with "nothing"'],
    ['a bad --from', ['task.*', '--from', 'yesterday'], '--from: expected earliest, latest or an ISO 8601 time'],
    ['a bad --limit', ['task.*', '--limit', '0'], '--limit: expected a positive integer'],
  ])('tail refuses %s with exit 2, naming the problem', async (_name, args, message) => {
    const run = await agentbus('tail', ...args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
  });

  describe('dead letters', () => {
    let undecodableRef: string;

    it('dlq list shows what a subscription dead-lettered: a garbage record and a rejected event', async () => {
      await producer.send({ topic: taskTopic, messages: [{ key: 'junk-1', value: garbage }] });
      await bus.publish(taskCreated('reject-me', 'normal'));
      subscription = await bus.subscribe(
        'task.*',
        async (event) => {
          if ((event.payload as { taskId?: string }).taskId === 'reject-me') throw new AgentbusError('TEST_REJECTED', 'rejected by the test', { retriable: false });
        },
        { name: 'cli-dlq' },
      );
      await waitFor(() => bus.deadLetters.list(), (d) => d.length === 2, 'two dead letters');
      await subscription.unsubscribe();
      subscription = undefined;

      const run = await agentbus('dlq', 'list', '--json');
      expect(run.code).toBe(0);
      const letters = JSON.parse(run.stdout) as { ref: string; code: string; sourceTopic: string; subscription: string; key: string; valueBytes: number }[];
      expect(letters).toHaveLength(2);
      const undecodable = letters.find((d) => d.code === 'EVENT_UNDECODABLE')!;
      expect(undecodable).toMatchObject({ sourceTopic: taskTopic, subscription: 'cli-dlq', key: 'junk-1', valueBytes: garbage.length });
      expect(letters.find((d) => d.code === 'TEST_REJECTED')).toMatchObject({ key: 'reject-me', subscription: 'cli-dlq' });
      undecodableRef = undecodable.ref;

      const filtered = await agentbus('dlq', 'list', '--code', 'TEST_REJECTED');
      expect(filtered.code).toBe(0);
      const rows = filtered.stdout.trim().split('\n');
      expect(rows[0]).toMatch(/^DLQ\s+FAILED AT\s+CODE\s+SOURCE\s+SUBSCRIPTION\s+ATTEMPTS\s+REASON$/);
      expect(rows.slice(1)).toEqual([expect.stringMatching(/TEST_REJECTED .* cli-dlq +1 +rejected by the test$/)]);
    });

    it('dlq show prints one dead letter with its bytes, and the decoded event when there is one', async () => {
      const garbageShown = await agentbus('dlq', 'show', undecodableRef);
      expect(garbageShown.code).toBe(0);
      expect(garbageShown.stdout).toContain(`dead letter ${undecodableRef} in ${prefix}.dlq`);
      expect(garbageShown.stdout).toContain(`  0000  ${[...garbage.subarray(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}  ${garbage.subarray(0, 16).toString()}`);
      expect(garbageShown.stdout).toContain('event         not decodable: EVENT_UNDECODABLE');

      const rejected = (JSON.parse((await agentbus('dlq', 'list', '--json', '--code', 'TEST_REJECTED')).stdout) as { ref: string }[])[0]!;
      const shown = await agentbus('dlq', 'show', rejected.ref, '--json');
      expect(shown.code).toBe(0);
      const detail = JSON.parse(shown.stdout) as { headers: Record<string, string>; value: { base64: string }; event: { type: string; payload: { taskId: string } } | null; decodeError: string | null };
      expect(detail.event).toMatchObject({ type: 'task.created', payload: { taskId: 'reject-me' } });
      expect(detail.decodeError).toBeNull();
      expect(detail.headers['agentbus-routing-key']).toBe('task.created');
      expect(Object.keys(detail.headers).filter((name) => name.startsWith('agentbus-dlq-'))).toEqual([]);
    });

    it('dlq show exits 3 for a dead letter that is not there, and 2 for a malformed position', async () => {
      const missing = await agentbus('dlq', 'show', '0:999999');
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain(`no dead letter at partition 0 offset 999999 of ${prefix}.dlq`);
      expect((await agentbus('dlq', 'show', 'zero')).code).toBe(2);
    });

    it('dlq replay refuses without --yes when stdin is not a terminal', async () => {
      const run = await agentbus('dlq', 'replay');
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('pass --yes');
    });

    it('dlq replay --dry-run says what it would send and sends nothing', async () => {
      const run = await agentbus('dlq', 'replay', '--dry-run', '--code', 'EVENT_UNDECODABLE', '--json');
      expect(run.code).toBe(0);
      const result = JSON.parse(run.stdout) as { dryRun: boolean; sourceRecords: string[]; republished: number };
      expect(result).toMatchObject({ dryRun: true, republished: 0, sourceRecords: [expect.stringMatching(new RegExp(`^${taskTopic}/\\d+/\\d+$`))] });
    });

    it('dlq replay --yes re-publishes the matching source record to its topic', async () => {
      const run = await agentbus('dlq', 'replay', '--yes', '--code', 'EVENT_UNDECODABLE');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^re-published 1 source record \(from 1 matching dead letter\)/);

      const copies: { republishedFrom?: string }[] = [];
      await readToEnd(kafka, taskTopic, ({ message }) => {
        if (message.value?.equals(garbage)) copies.push({ republishedFrom: message.headers?.['agentbus-republished-from']?.toString() });
      });
      expect(copies).toEqual([{ republishedFrom: undefined }, { republishedFrom: `${prefix}.dlq/${undecodableRef.replace(':', '/')}` }]);
    });
  });
});
