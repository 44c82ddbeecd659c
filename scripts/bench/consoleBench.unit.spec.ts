import { createServer, connect, type Socket } from 'node:net';
import type { Machine } from './machine';
import { consoleEntries, consolePages, usesOffset, type PageResult } from './console';
import { categorySql, ulidTimeSql } from './consoleSeed';
import { captureProxy, FrontendStatements, type CapturedStatement } from './pgCapture';

// Frontend messages of the Postgres protocol (3.0), built by hand as node-postgres sends them.
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const cstr = (s: string) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
const typed = (type: string, body: Buffer) => Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
const untyped = (body: Buffer) => Buffer.concat([int32(body.length + 4), body]);
const sslRequest = untyped(int32(80877103));
const startup = untyped(Buffer.concat([int32(196608), cstr('user'), cstr('agentbus'), cstr('database'), cstr('agentbus'), Buffer.from([0])]));
const password = typed('p', cstr('SCRAM-SHA-256 client-first with a ? and a Q in it'));
const query = (sql: string) => typed('Q', cstr(sql));
const parse = (name: string, sql: string) => typed('P', Buffer.concat([cstr(name), cstr(sql), int16(0)]));
const bind = (statement: string, params: (string | Buffer | null)[], formats: number[] = []) =>
  typed(
    'B',
    Buffer.concat([
      cstr(''),
      cstr(statement),
      int16(formats.length),
      ...formats.map(int16),
      int16(params.length),
      ...params.map((p) => (p === null ? int32(-1) : Buffer.concat([int32(Buffer.byteLength(p)), Buffer.from(p)]))),
      int16(0),
    ]),
  );
const describeExecuteSync = Buffer.concat([typed('D', Buffer.concat([Buffer.from('P'), cstr('')])), typed('E', Buffer.concat([cstr(''), int32(0)])), typed('S', Buffer.alloc(0))]);

const session = Buffer.concat([
  sslRequest,
  startup,
  password,
  query('BEGIN TRANSACTION READ ONLY;'),
  query('set local role agentbus_analyst'),
  parse('', 'select "agent_id" from "read"."presence_agents" where "agent_id" > $1 order by "agent_id" asc limit $2'),
  bind('', ['worker-00042', '101']),
  describeExecuteSync,
  parse('named', 'select $1::text as a, $2::bytea as b, $3::int as c'),
  bind('named', ['é', Buffer.from([0, 1, 2]), null], [0, 1, 0]),
  describeExecuteSync,
  query('COMMIT;'),
]);

const expected: CapturedStatement[] = [
  { sql: 'BEGIN TRANSACTION READ ONLY;' },
  { sql: 'set local role agentbus_analyst' },
  { sql: 'select "agent_id" from "read"."presence_agents" where "agent_id" > $1 order by "agent_id" asc limit $2', params: ['worker-00042', '101'] },
  { sql: 'select $1::text as a, $2::bytea as b, $3::int as c', params: ['é', Buffer.from([0, 1, 2]), null] },
  { sql: 'COMMIT;' },
];

const machine: Machine = { cpu: 'test', cores: 2, memoryGb: 8, node: 'v20', kafka: '4.4.0', os: 'test' };
const page = (name: string, apiMs: number[], sqlMs: number[]): PageResult => ({ name, what: name, path: `/api/${name}`, paths: 1, apiMs, sqlMs, statements: 4, connections: 1, rows: 50, responseBytes: 1000, facts: {}, budgetHit: false, timedOut: false });
const spread = (low: number, high: number) => Array.from({ length: 100 }, (_, i) => low + ((high - low) * i) / 99);

describe('console bench', () => {
  it('reads simple and extended-protocol statements from a connection, whatever the chunking', () => {
    for (const size of [1, 3, 7, 64, session.length]) {
      const seen: CapturedStatement[] = [];
      const reader = new FrontendStatements((s) => seen.push(s));
      for (let at = 0; at < session.length; at += size) reader.push(session.subarray(at, at + size));
      expect(seen).toEqual(expected);
    }
  });

  it('refuses a Bind of a statement it never saw parsed, rather than guessing the SQL', () => {
    const reader = new FrontendStatements(() => undefined);
    expect(() => reader.push(Buffer.concat([startup, bind('s1', ['x'])]))).toThrow(/never parsed/);
  });

  it('forwards both directions untouched and tells statements apart by connection', async () => {
    const serverSaw: Buffer[] = [];
    const sockets: Socket[] = [];
    const server = createServer((s) => {
      sockets.push(s);
      s.on('data', (c: Buffer) => {
        serverSaw.push(c);
        s.write('Z');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const proxy = await captureProxy({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
    const open = async (bytes: Buffer) => {
      const c = connect(proxy.port, '127.0.0.1');
      const answered = new Promise<string>((r) => c.once('data', (d: Buffer) => r(d.toString())));
      c.write(bytes);
      return { c, answer: await answered };
    };
    try {
      const one = await open(Buffer.concat([startup, query('select 1')]));
      const two = await open(Buffer.concat([startup, query('select 2'), query('select 3')]));
      await new Promise((r) => setTimeout(r, 50));
      expect([one.answer, two.answer]).toEqual(['Z', 'Z']);
      expect(Buffer.concat(serverSaw).length).toBe(Buffer.concat([startup, query('select 1'), startup, query('select 2'), query('select 3')]).length);
      expect(proxy.take()).toEqual([[{ sql: 'select 1' }], [{ sql: 'select 2' }, { sql: 'select 3' }]]);
      expect(proxy.take()).toEqual([]);
      one.c.destroy();
      two.c.destroy();
    } finally {
      await proxy.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('spots OFFSET paging but not columns named like it', () => {
    expect(usesOffset('select * from read.sagas order by saga_id limit $1 offset $2')).toBe(true);
    expect(usesOffset('select * from x LIMIT 50 OFFSET 100')).toBe(true);
    expect(usesOffset('select partition, kafka_offset, next_offset from audit_read.records where (partition, kafka_offset) > ($1, $2) limit $3')).toBe(false);
  });

  it('asks every page the web app has, as the web app asks, with ids encoded and rotated', () => {
    const ids = Array.from({ length: 50 }, (_, i) => `01KB${String(i).padStart(22, '0')}`);
    const pages = consolePages({ agentCursor: 'coder-05000', capability: 'draft email', sagaCursor: ids[25]!, sagaIds: ids, tracedSagaIds: ids, eventIds: ids });
    expect(pages.map((p) => p.name)).toEqual(['agents', 'agents-deep', 'agents-capability', 'sagas', 'sagas-status', 'sagas-search', 'sagas-search-name', 'sagas-search-none', 'sagas-deep', 'saga', 'trace', 'event', 'dead-letters', 'dead-letters-all', 'audit', 'overview']);
    const byName = Object.fromEntries(pages.map((p) => [p.name, p]));
    expect(byName['agents-capability']!.paths).toEqual(['/api/agents?capability=draft%20email&minCapacity=0']);
    expect(byName['sagas-deep']!.paths).toEqual([`/api/sagas?limit=50&status=&q=&after=${ids[25]}`]);
    expect(byName.trace!.paths).toHaveLength(20);
    expect(byName.agents!.problem({ items: new Array(100).fill({}), next: 'x' })).toBeUndefined();
    expect(byName.agents!.problem({ items: [], next: null })).toMatch(/full page/);
    expect(byName.trace!.problem({ events: 9 })).toMatch(/expected 10 events/);
  });

  it('reports each page against the same SQL and the 100 ms goal, and the slowest page overall', () => {
    const results = consoleEntries(
      {
        pages: [page('agents', spread(2, 12), spread(1, 5)), page('dead-letters', spread(50, 150), spread(45, 140))],
        counts: { events: 1000 },
        seedSeconds: 12.34,
        keyset: { '/api/agents': 'ok' },
        plan: { events: 1000, agents: 10, sagas: 100, deadLetters: 5, requests: 100, warmup: 5, secondsPerPage: 10, timeoutMs: 20_000 },
      },
      machine,
      { runAt: 'now', commit: 'abc', quick: true },
    );
    expect(results['console.agents']).toMatchObject({ value: 11.5, baselineValue: 4.8, ratio: 2.4, unit: 'ms (p95)', details: { goalMet: true, p50Ms: 6.9, requests: 100 } });
    expect(results['console.dead-letters']!.details).toMatchObject({ goalMet: false });
    expect(results['console.pages']).toMatchObject({ value: 144.9, baselineValue: 100, ratio: 1.449, details: { goalMet: false, slowest: 'dead-letters', missed: ['dead-letters'] } });
  });

  it('builds the SQL of a ULID time and of each event type’s category from the catalogue', () => {
    expect(ulidTimeSql('t').match(/substr\(/g)).toHaveLength(10);
    expect(ulidTimeSql('t')).toContain('((t >> 45) & 31)');
    expect(categorySql('type')).toContain("when 'workflow.requested' then 'saga'");
    expect(categorySql('type')).toContain("when 'operator.action' then 'system'");
  });
});
