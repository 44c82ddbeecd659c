import { startPresence, type Presence } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { createKafka } from '@agentbus/kafka';
import { login, passwords, startConsoleStack, until, type ConsoleStack } from './consoleTesting.spec-support';

jest.setTimeout(300_000);

describe('operator console API against the real broker, registry, Postgres and services', () => {
  let stack: ConsoleStack;
  let operator: string;
  let viewer: string;
  let presence: Presence | undefined;
  const get = (path: string, cookie?: string) => fetch(`${stack.url}${path}`, { headers: cookie ? { cookie } : {} });
  const post = (path: string, body: unknown, cookie?: string) => fetch(`${stack.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API answers are asserted field by field
  const json = async (path: string, cookie = operator): Promise<any> => {
    const res = await get(path, cookie);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };

  beforeAll(async () => {
    stack = await startConsoleStack('console-api');
    operator = await login(stack.url, 'olga');
    viewer = await login(stack.url, 'victor');
  });
  afterAll(async () => {
    await presence?.stop().catch(() => undefined);
    await stack?.stop();
  });

  describe('auth', () => {
    it('serves no data without a session, and a wrong credential gets 401 with no detail', async () => {
      for (const path of ['/api/overview', '/api/agents', '/api/sagas', '/api/dead-letters', '/api/audit', '/api/stream', '/api/me']) expect((await get(path)).status).toBe(401);
      for (const body of [{ user: 'olga', password: 'wrong' }, { user: 'nobody', password: passwords.olga }, { user: 'olga' }, {}]) {
        const res = await post('/api/login', body);
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({ error: 'unauthorized' });
        expect(res.headers.get('set-cookie')).toBeNull();
      }
      expect((await get('/api/overview', 'agentbus_console=forged.token')).status).toBe(401);
    });

    it('sets an HttpOnly SameSite cookie, and the same token works as a bearer token', async () => {
      const res = await post('/api/login', { user: 'victor', password: passwords.victor });
      expect(res.headers.get('set-cookie')).toMatch(/^agentbus_console=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
      const token = res.headers.get('set-cookie')!.split(';')[0]!.split('=')[1]!;
      const me = await fetch(`${stack.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(await me.json()).toEqual({ user: 'victor', role: 'viewer' });
    });

    it('lets a viewer read but not replay or verify (403); /health and /metrics stay open for probes', async () => {
      expect((await get('/api/overview', viewer)).status).toBe(200);
      expect((await post('/api/dead-letters/replay', { refs: ['0:0'] }, viewer)).status).toBe(403);
      expect((await post('/api/audit/verify', {}, viewer)).status).toBe(403);
      expect((await get('/health')).status).toBe(200);
      expect(await (await get('/metrics')).text()).toContain('console_logins_total');
    });
  });

  it('agents: lists the presence read model and filters by capability as GET /agents?capability= does', async () => {
    const connection = parseConfig(connectionSchema, { ...process.env, ...stack.env });
    presence = await startPresence(stack.bus, { agentId: 'summariser-1', agentClass: 'summariser', capabilities: ['summarise'], capacity: () => 4, heartbeatIntervalMs: 500 });
    expect(connection.topicPrefix).toBe(stack.topics.prefix);
    await until(async () => (await json('/api/agents')).items.some((a: { agentId: string; status: string }) => a.agentId === 'summariser-1' && a.status === 'online'), 60_000, 'the agent online');
    const page = await json('/api/agents?limit=1');
    expect(page.items[0]).toMatchObject({ agentId: 'summariser-1', capabilities: ['summarise'], capacity: 4 });
    expect((await json('/api/agents?capability=summarise')).agents.map((a: { agentId: string }) => a.agentId)).toEqual(['summariser-1']);
    expect((await json('/api/agents?capability=translate')).agents).toEqual([]);
    const overview = await json('/api/overview');
    expect(overview.agents.online).toBe(1);
  });

  it('sagas and trace: a requested saga is listed, searchable, has a timeline and a causation tree', async () => {
    const request = await stack.bus.publish({ type: 'workflow.requested', source: 'did:agent:shop', payload: { sagaId: 'console-saga-1', sagaName: 'order', input: '{"orderId":"o-1"}', requestedBy: 'shop' } });
    await until(async () => (await json('/api/sagas?q=console-saga')).items.length === 1, 60_000, 'the saga in read.sagas');
    expect((await json('/api/sagas?q=nothing-like-it')).items).toEqual([]);
    const detail = await json('/api/sagas/console-saga-1');
    expect(detail.saga).toMatchObject({ saga_id: 'console-saga-1', saga_name: 'order', correlation_id: request.metadata.correlationId });
    expect((await get('/api/sagas/unknown', operator)).status).toBe(404);
    await until(async () => (await get(`/api/trace/${request.metadata.correlationId}`, operator)).status === 200, 60_000, 'the request in the audit trail');
    for (const id of [request.metadata.correlationId!, 'console-saga-1']) {
      const tree = await json(`/api/trace/${id}`);
      expect(tree.roots[0]).toMatchObject({ eventId: request.id, type: 'workflow.requested', source: 'did:agent:shop' });
    }
    const event = await json(`/api/events/${request.id}`);
    expect(event).toMatchObject({ type: 'workflow.requested', payload: expect.objectContaining({ sagaId: 'console-saga-1' }) });
  });

  it('dead letters: a poison record is listed with its raw bytes as hex; a viewer cannot replay, an operator can, and it leaves the list', async () => {
    const kafka = createKafka(parseConfig(connectionSchema, { ...process.env, ...stack.env }).kafka);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: `${stack.topics.prefix}.task`, messages: [{ key: 'poison-1', value: Buffer.from('<img src=x onerror=alert(1)> not avro') }] });
    await producer.disconnect();
    let ref = '';
    await until(
      async () => {
        ref = (await json('/api/dead-letters')).items.find((d: { key: string }) => d.key === 'poison-1')?.ref ?? '';
        return ref !== '';
      },
      90_000,
      'the poison record in the dead letters',
    );
    const letter = await json(`/api/dead-letters/${ref}`);
    expect(letter).toMatchObject({ key: 'poison-1', sourceTopic: `${stack.topics.prefix}.task`, waiting: true, event: null });
    expect(letter.hex).toBe(Buffer.from('<img src=x onerror=alert(1)> not avro').toString('hex'));
    expect(letter.decodeError).toEqual(expect.any(String));
    expect((await json('/api/overview')).deadLettersWaiting).toBeGreaterThanOrEqual(1);

    expect((await post('/api/dead-letters/replay', { refs: [ref] }, viewer)).status).toBe(403);
    const replay = await post('/api/dead-letters/replay', { refs: [ref] }, operator);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ republished: 1, sourceRecords: [expect.stringMatching(new RegExp(`^${stack.topics.prefix}\\.task/`))] });
    await until(async () => !(await json('/api/dead-letters')).items.some((d: { ref: string }) => d.ref === ref), 60_000, 'the replayed dead letter to leave the list');
    expect((await json('/api/dead-letters?all=true')).items.some((d: { ref: string }) => d.ref === ref)).toBe(true);
    // Who did it lands in the audit trail.
    await until(
      async () => Number((await stack.db.raw(`select count(*)::int as n from audit.records where type = 'operator.action' and payload ->> 'operator' = 'olga' and payload ->> 'action' = 'dlq.replay'`)).rows[0].n) === 1,
      60_000,
      'the replay as an operator.action event in the audit trail',
    );
  });

  it('audit: chain heads per partition; an operator runs the verification, and it is recorded', async () => {
    const audit = await json('/api/audit');
    expect(audit.heads.length).toBeGreaterThan(0);
    expect(audit.heads[0]).toMatchObject({ topic: expect.any(String), partition: expect.any(Number), lastHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const res = await post('/api/audit/verify', {}, operator);
    expect(res.status).toBe(200);
    const result = (await res.json()) as { ok: boolean; verified: number; problems: unknown[] };
    expect(result).toMatchObject({ ok: true, problems: [] });
    expect(result.verified).toBeGreaterThan(0);
    await until(async () => (await json('/api/audit')).lastVerification?.by === 'olga', 60_000, 'the verification in the trail');
  });

  it('overview: sagas by status and consumer lag from the stored positions', async () => {
    const overview = await json('/api/overview');
    expect(Object.values(overview.sagas as Record<string, number>).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    const consumers = async () => (((await json('/api/overview')).consumerLag ?? []) as { consumer: string }[]).map((c) => c.consumer);
    // Services that create their offsets tables after the console started (the projector's on its
    // first assignment, a saga orchestrator started later) show up without a console restart.
    await until(async () => {
      const names = await consumers();
      return ['audit-sink', 'presence-monitor', 'projector'].every((c) => names.includes(c));
    }, 60_000, 'the positions of the audit sink, presence monitor and projector in the overview');
    await stack.spawn('services/saga-orchestrator/src/main.ts', 'saga orchestrator running');
    await until(async () => (await consumers()).some((c) => c.includes('saga')), 60_000, "the saga orchestrator's positions in the overview");
  });

  it('live updates: the stream sends the overview, and an agent whose status changes', async () => {
    const controller = new AbortController();
    const res = await fetch(`${stack.url}/api/stream`, { headers: { cookie: viewer }, signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      const deadline = Date.now() + 60_000;
      while (!text.includes(needle)) {
        if (Date.now() > deadline) throw new Error(`no ${needle} in the stream: ${text.slice(-500)}`);
        const { value } = await reader.read();
        text += Buffer.from(value!).toString();
      }
    };
    await readUntil('event: overview');
    await presence!.stop();
    presence = undefined;
    await readUntil('"summariser-1":"offline"');
    controller.abort();
  });
});
