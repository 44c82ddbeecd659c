import { agentsMain, orchestratorMain, projectorMain, sagaWorld, sleep, until, type SagaWorld } from './sagaWorld.spec-support';

// Each SIGKILL leaves a dead group member until the broker expires its session (6 s here).
jest.setTimeout(420_000);

describe('saga orchestrator under SIGKILL (real processes)', () => {
  let world: SagaWorld;
  afterEach(async () => world?.close());

  it('killed at random points of many concurrent sagas and restarted, every saga ends as in a fault-free run, every command done once', async () => {
    world = await sagaWorld('sagakill');
    await world.spawn(projectorMain, 'projector running');
    await world.spawn(agentsMain, 'order agents ready', { ORDER_AGENTS_SUFFIX: 'k', ORDER_AGENTS_DECLINE_ABOVE: '1000' });
    await until(async () => (await world.db.raw(`select count(*)::int as n from read.agents where state = 'online'`)).rows[0].n === 3, 60_000, () => 'the agents online');

    const sagas = Array.from({ length: 40 }, (_, i) => ({ id: `kill-${i}`, amount: i % 3 === 0 ? 5000 : 10 + i }));
    // Fault-free, the outcome follows from the input alone: declined payments compensate, the rest complete.
    const expected = Object.fromEntries(sagas.map((s) => [s.id, s.amount > 1000 ? 'failed' : 'completed']));

    let orchestrator = await world.spawn(orchestratorMain, 'saga orchestrator running');
    const producing = (async () => {
      for (const s of sagas) {
        await world.requestOrder(s.id, s.amount);
        await sleep(40);
      }
    })();
    for (let round = 0; round < 3; round++) {
      await sleep(500 + Math.floor(Math.random() * 1500));
      await orchestrator.kill('SIGKILL');
      orchestrator = await world.spawn(orchestratorMain, 'saga orchestrator running');
    }
    await producing;
    const statuses = async () => Object.fromEntries(await Promise.all(sagas.map(async (s) => [s.id, await world.statusOf(s.id)] as const)));
    await until(async () => JSON.stringify(await statuses()) === JSON.stringify(expected), 240_000, () => 'every saga to reach its end state');

    const journal = await world.journal();
    expect(journal.filter((j) => j.n !== 1)).toEqual([]);
    for (const s of sagas) {
      const ops = journal.filter((j) => j.order_id === `order-${s.id}`).map((j) => j.op);
      expect([s.id, ops]).toEqual([s.id, s.amount > 1000 ? ['create', 'reserve', 'charge', 'release', 'cancel'] : ['create', 'reserve', 'charge', 'complete']]);
    }
    // Every compensation command was issued once: one dispatch per undo step, however often it was relayed.
    const undoCommands = new Set(world.seen.filter((e) => e.type === 'saga.step.dispatched' && (e.payload as { phase: string }).phase === 'compensation').map((e) => e.id));
    expect(undoCommands.size).toBe(sagas.filter((s) => s.amount > 1000).length * 2);
  });
});
