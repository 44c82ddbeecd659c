import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface RegistryProxy {
  /** The registry URL to give a codec: this proxy's port, the real registry's path. */
  url: string;
  /** Takes "the registry" away: open connections are cut and new ones refused. */
  close(): Promise<void>;
  /** Brings it back on the same port. */
  open(): Promise<void>;
}

/**
 * A TCP proxy in front of the shared registry, so a test can simulate an outage for its own
 * clients without stopping the registry other tests use.
 */
export const registryProxy = async (registryUrl: string): Promise<RegistryProxy> => {
  const target = new URL(registryUrl);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const open = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port), target.hostname);
        track(client);
        track(upstream);
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server?.listening) return resolve();
      server.close(() => resolve());
    });
  await open();
  return { url: `http://127.0.0.1:${port}${target.pathname}`, open, close };
};
