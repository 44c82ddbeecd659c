import { createServer, Socket as NetSocket, type Server, type Socket } from 'node:net';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { assertBrokerReachable, createKafka } from './createKafka';
import { isBrokerUnavailableError } from './kafkaErrors';

const unusedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
};

describe('reaching the broker', () => {
  it('answers when the real broker is up', async () => {
    await expect(assertBrokerReachable(parseConfig(connectionSchema).kafka, 15_000)).resolves.toBeUndefined();
  });

  it('talks to the broker over sockets with Nagle off (TCP_NODELAY)', async () => {
    const noDelay = jest.spyOn(NetSocket.prototype, 'setNoDelay');
    const admin = createKafka(parseConfig(connectionSchema).kafka).admin();
    try {
      await admin.connect();
      await admin.listTopics();
      expect(noDelay).toHaveBeenCalledWith(true);
    } finally {
      await admin.disconnect();
      noDelay.mockRestore();
    }
  });

  it('fails fast with BROKER_UNAVAILABLE naming the address when nothing listens there', async () => {
    const port = await unusedPort();
    const { kafka } = parseConfig(connectionSchema, { KAFKA_BROKERS: `127.0.0.1:${port}`, KAFKA_CONNECT_TIMEOUT_MS: '1000' });
    const started = Date.now();
    const error = await assertBrokerReachable(kafka, 5000).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(6000);
    expect(isBrokerUnavailableError(error)).toBe(true);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as { retriable: boolean }).retriable).toBe(true);
  });

  it('gives up within its deadline when a peer accepts connections but never speaks Kafka', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as { port: number };
    try {
      const { kafka } = parseConfig(connectionSchema, { KAFKA_BROKERS: `127.0.0.1:${port}` });
      const started = Date.now();
      const error = await assertBrokerReachable(kafka, 2000).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(4000);
      expect(isBrokerUnavailableError(error)).toBe(true);
    } finally {
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  });
});
