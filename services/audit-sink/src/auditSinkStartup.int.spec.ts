import { createServer, connect, type Server, type Socket } from 'node:net';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, createTestTopics, freePort, spawnService, type ServiceProcess, type TestDatabase, type TestTopics } from '@agentbus/testing';
import type { Knex } from 'knex';
import { countRows, until } from './auditTesting.spec-support';

jest.setTimeout(180_000);

/** A TCP forwarder to the real broker, listening only once `open` is called: until then the broker is unreachable at `port`. */
const brokerGate = (port: number, target: { host: string; port: number }) => {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  return {
    open: () =>
      new Promise<void>((resolve, reject) => {
        server = createServer((client) => {
          const upstream = connect(target.port, target.host);
          for (const s of [client, upstream]) {
            sockets.add(s);
            s.on('error', () => undefined);
            s.on('close', () => (sockets.delete(s), client.destroy(), upstream.destroy()));
          }
          client.pipe(upstream).pipe(client);
        });
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      }),
    close: () => new Promise<void>((resolve) => (server ? (sockets.forEach((s) => s.destroy()), server.close(() => resolve())) : resolve())),
  };
};

const health = async (port: number): Promise<{ status: number; body: { ok: boolean; checks: Record<string, { ok: boolean; detail?: string }> } } | undefined> => {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    return { status: response.status, body: (await response.json()) as never };
  } catch {
    return undefined;
  }
};

const jsonLines = (output: string): Record<string, unknown>[] =>
  output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('a service started while the broker is down (a real process)', () => {
  let topics: TestTopics;
  let database: TestDatabase;
  let db: Knex;
  let sink: ServiceProcess | undefined;
  let gate: ReturnType<typeof brokerGate> | undefined;

  beforeEach(async () => {
    topics = await createTestTopics('audit-startup');
    database = await createTestDatabase('audit_startup', parseConfig(connectionSchema).databaseUrl);
    db = createDatabase({ url: database.url });
  });

  afterEach(async () => {
    await sink?.kill('SIGKILL');
    await gate?.close();
    await db.destroy();
    await topics.cleanup();
    await database.drop();
  });

  it('waits with backoff, says so in /health and in JSON logs, and starts once the broker answers', async () => {
    const broker = parseConfig(connectionSchema).kafka.brokers[0]!;
    const [host, port] = [broker.slice(0, broker.lastIndexOf(':')), Number(broker.slice(broker.lastIndexOf(':') + 1))];
    const gatePort = await freePort();
    const httpPort = await freePort();
    gate = brokerGate(gatePort, { host, port });
    sink = spawnService('services/audit-sink/src/main.ts', {
      AGENTBUS_TOPIC_PREFIX: topics.prefix,
      DATABASE_URL: database.url,
      KAFKA_BROKERS: `127.0.0.1:${gatePort}`,
      AUDIT_SINK_HTTP_PORT: String(httpPort),
      AUDIT_SINK_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'info',
    });

    // Several attempts, each logged, while /health answers 503 and names the broker.
    const waitingLines = () => jsonLines(sink!.output()).filter((l) => l.msg === 'waiting for kafka before starting');
    await until(async () => waitingLines().length >= 3, 60_000, `three logged attempts to reach the broker; output: ${sink.output().slice(-800)}`);
    expect(waitingLines().map((l) => l.attempt)).toEqual(expect.arrayContaining([1, 2, 3]));
    expect(waitingLines()[0]).toMatchObject({ level: 'warn', waitingFor: ['kafka'], reason: expect.stringContaining(`127.0.0.1:${gatePort}`) });
    const waiting = await health(httpPort);
    expect(waiting?.status).toBe(503);
    expect(waiting?.body).toEqual({ ok: false, checks: { startup: { ok: false, detail: expect.stringMatching(new RegExp(`^waiting for kafka at 127\\.0\\.0\\.1:${gatePort}: .*ECONNREFUSED`)) } } });
    expect(sink.child.exitCode).toBeNull();

    await gate.open();
    await until(async () => (await health(httpPort))?.status === 200, 90_000, `/health to turn ready once the broker answers; output: ${sink.output().slice(-800)}`);
    expect((await health(httpPort))?.body.checks).toEqual({ database: { ok: true }, consumer: { ok: true, detail: expect.stringMatching(/^assigned .*\.task:0,1,2/) } });
    // Started for real: a record published now reaches the audit trail.
    const producer = topics.kafka.producer();
    await producer.connect();
    await producer.send({ topic: `${topics.prefix}.task`, messages: [{ key: 'k', value: Buffer.from('after the wait') }] });
    await producer.disconnect();
    await until(async () => (await countRows(db)) === 1, 60_000, 'the record stored');
    expect(sink.child.exitCode).toBeNull();
    expect(sink.output()).not.toMatch(/failed to start/);
    // Every line of its log is JSON, the waiting included.
    expect(() => jsonLines(sink!.output())).not.toThrow();
  });
});
