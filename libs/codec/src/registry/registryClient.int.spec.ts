import { createServer } from 'node:net';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { createRegistryClient } from './registryClient';
import { isRegistryUnavailableError } from './registryErrors';

describe('reaching the schema registry', () => {
  it('fails with REGISTRY_UNAVAILABLE naming the URL, within a bounded time, when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise((r) => server.close(r));
    const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;
    const client = createRegistryClient(parseConfig(connectionSchema, { SCHEMA_REGISTRY_URL: url }).registry);

    const started = Date.now();
    const error = await client.register('any-subject', { type: 'string' }).catch((e: unknown) => e);

    expect(Date.now() - started).toBeLessThan(5000);
    expect(isRegistryUnavailableError(error)).toBe(true);
    expect((error as Error).message).toContain(url);
    expect((error as { retriable: boolean }).retriable).toBe(true);
  });

  it('maps an unknown schema id to SCHEMA_NOT_FOUND on the real registry', async () => {
    const client = createRegistryClient(parseConfig(connectionSchema).registry);
    await expect(client.schemaById(987654321)).rejects.toMatchObject({ code: 'SCHEMA_NOT_FOUND' });
  });
});
