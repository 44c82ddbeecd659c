import { presenceDirectory } from './presenceDirectory';

const answering = (status: number, body: unknown) => {
  const asked: string[] = [];
  const fetch = (async (url: URL) => {
    asked.push(url.toString());
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, asked };
};

describe('presenceDirectory', () => {
  it('asks GET /agents with the capability and options and returns the agents in the order given', async () => {
    const { fetch, asked } = answering(200, { capability: 'summarise', agents: [{ agentId: 'a' }, { agentId: 'b' }] });
    const agents = await presenceDirectory('http://monitor:9403', { fetch }).findCapableAgents('summarise', { minCapacity: 2, limit: 5 });
    expect(agents.map((a) => a.agentId)).toEqual(['a', 'b']);
    expect(asked).toEqual(['http://monitor:9403/agents?capability=summarise&minCapacity=2&limit=5']);
  });

  it('turns a 400 into a non-retriable INVALID_DISCOVERY_QUERY naming the field', async () => {
    const { fetch } = answering(400, { error: { code: 'INVALID_DISCOVERY_QUERY', message: 'minCapacity must be a whole number >= 0', field: 'minCapacity' } });
    await expect(presenceDirectory('http://monitor:9403', { fetch }).findCapableAgents('summarise', { minCapacity: -1 })).rejects.toMatchObject({ code: 'INVALID_DISCOVERY_QUERY', retriable: false, context: { field: 'minCapacity' } });
  });

  it('turns a 503 or no answer into a retriable PRESENCE_UNAVAILABLE', async () => {
    const { fetch } = answering(503, { error: { message: 'down' } });
    await expect(presenceDirectory('http://monitor:9403', { fetch }).findCapableAgents('x')).rejects.toMatchObject({ code: 'PRESENCE_UNAVAILABLE', retriable: true });
    const refusing = (async () => {
      throw new Error('ECONNREFUSED');
    }) as unknown as typeof globalThis.fetch;
    await expect(presenceDirectory('http://monitor:9403', { fetch: refusing }).findCapableAgents('x')).rejects.toMatchObject({ code: 'PRESENCE_UNAVAILABLE', retriable: true });
  });
});
