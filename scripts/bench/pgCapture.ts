import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Client } from 'pg';

/** One statement a client sent: a simple Query, or an extended-protocol Parse + Bind with its parameters. */
export interface CapturedStatement {
  sql: string;
  params?: (string | Buffer | null)[];
}

// Untyped packets a client may send before its StartupMessage (protocol 3.0, "Message Formats").
const sslRequestCode = 80877103;
const gssEncRequestCode = 80877104;

const cString = (body: Buffer, at: number): [string, number] => {
  const end = body.indexOf(0, at);
  if (end < 0) throw new Error('unterminated string in a Postgres message');
  return [body.toString('utf8', at, end), end + 1];
};

/**
 * Reads the frontend half of one Postgres connection (client → server bytes, in any chunking) and
 * reports each statement run: a simple Query, or Bind of a parsed statement with its parameter
 * values. What the server answers is not read.
 */
export class FrontendStatements {
  private buffer: Buffer = Buffer.alloc(0);
  private startup = true;
  private readonly parsed = new Map<string, string>();

  constructor(private readonly onStatement: (statement: CapturedStatement) => void) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.startup) {
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) return;
        const code = this.buffer.readInt32BE(4);
        this.buffer = this.buffer.subarray(length);
        if (code !== sslRequestCode && code !== gssEncRequestCode) this.startup = false;
        continue;
      }
      if (this.buffer.length < 5) return;
      const length = this.buffer.readInt32BE(1);
      if (this.buffer.length < 1 + length) return;
      const type = String.fromCharCode(this.buffer[0]!);
      const body = this.buffer.subarray(5, 1 + length);
      this.buffer = this.buffer.subarray(1 + length);
      this.message(type, body);
    }
  }

  private message(type: string, body: Buffer): void {
    if (type === 'Q') {
      this.onStatement({ sql: cString(body, 0)[0] });
    } else if (type === 'P') {
      const [name, at] = cString(body, 0);
      this.parsed.set(name, cString(body, at)[0]);
    } else if (type === 'B') {
      const [statement, afterNames] = cString(body, cString(body, 0)[1]);
      let at = afterNames;
      const formatCount = body.readInt16BE(at);
      at += 2;
      const formats: number[] = [];
      for (let i = 0; i < formatCount; i++, at += 2) formats.push(body.readInt16BE(at));
      const paramCount = body.readInt16BE(at);
      at += 2;
      const params: (string | Buffer | null)[] = [];
      for (let i = 0; i < paramCount; i++) {
        const size = body.readInt32BE(at);
        at += 4;
        if (size < 0) {
          params.push(null);
          continue;
        }
        const value = body.subarray(at, at + size);
        at += size;
        const binary = (formats.length === 1 ? formats[0] : formats[i]) === 1;
        params.push(binary ? Buffer.from(value) : value.toString('utf8'));
      }
      const sql = this.parsed.get(statement);
      if (sql === undefined) throw new Error(`Bind of a statement never parsed on this connection ("${statement}")`);
      this.onStatement({ sql, params });
    }
  }
}

export interface CaptureProxy {
  port: number;
  /** The statements seen since the last call, by connection (in the order each connection sent them). */
  take(): CapturedStatement[][];
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of Postgres that forwards every byte both ways and notes the statements
 * clients send. It tells the bench exactly which SQL a service ran for one of its requests.
 */
export const captureProxy = async (target: { host: string; port: number }): Promise<CaptureProxy> => {
  let seen = new Map<number, CapturedStatement[]>();
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((client) => {
    const id = ++connections;
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const parser = new FrontendStatements((statement) => {
      const list = seen.get(id) ?? [];
      list.push(statement);
      seen.set(id, list);
    });
    client.on('data', (chunk: Buffer) => {
      parser.push(chunk);
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    take: () => {
      const taken = [...seen.values()];
      seen = new Map();
      return taken;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

/** Runs captured statements again, each connection's on its own client and in parallel, as the service ran them. */
export const replay = async (clients: readonly Client[], byConnection: readonly CapturedStatement[][]): Promise<number> => {
  if (byConnection.length > clients.length) throw new Error(`replay needs ${byConnection.length} connections, has ${clients.length}`);
  const rows = await Promise.all(
    byConnection.map(async (statements, i) => {
      let n = 0;
      try {
        for (const s of statements) {
          const result = s.params ? await clients[i]!.query({ text: s.sql, values: s.params }) : await clients[i]!.query(s.sql);
          n += (Array.isArray(result) ? result : [result]).reduce((sum, r) => sum + (r.command === 'SELECT' ? r.rowCount ?? 0 : 0), 0);
        }
      } catch (error) {
        // A failed statement (a timeout) leaves its transaction open and aborted: end it, so the client can go on.
        await clients[i]!.query('rollback').catch(() => undefined);
        throw error;
      }
      return n;
    }),
  );
  return rows.reduce((a, b) => a + b, 0);
};
