import { agentsMain, orchestratorMain, projectorMain, sagaWorld, sleep, until, type SagaWorld } from './sagaWorld.spec-support';

/** A saga's events as the test saw them on Kafka, in order: type, step, attempt, and Kafka's timestamp. */
const timeline = (world: SagaWorld, sagaId: string): string[] =>
  world.seen
    .filter((e) => {
      const text = JSON.stringify(e.payload);
      return text.includes(`"${sagaId}"`) || text.includes(`"${sagaId}.`);
    })
    .map((e) => {
      const p = e.payload as { stepId?: string; attempt?: number; taskId?: string; deadline?: number };
      return `${new Date(e.timestamp).toISOString().slice(11, 23)} ${e.type} ${p.stepId ?? p.taskId ?? ''} attempt=${p.attempt ?? '-'}${p.deadline ? ` deadline=${new Date(p.deadline).toISOString().slice(11, 23)}` : ''} id=${e.id.slice(0, 8)}`;
    });

// Each SIGKILL leaves a dead group member until the broker expires its session (6 s here).
jest.setTimeout(420_000);

describe('saga orchestrator under SIGKILL (real processes)', () => {
  let world: SagaWorld;
  afterEach(async () => world?.close());

  it('killed at random points of many concurrent sagas and restarted, every saga ends as in a fault-free run, every command done once', async () => {
    world = await sagaWorld('sagakill');
    await world.spawn(projectorMain, 'projector running');
    await world.spawn(agentsMain, 'order agents ready', { ORDER_AGENTS_SUFFIX: 'k', ORDER_AGENTS_DECLINE_ABOVE: '1000' });
    await world.agentsOnline(3);

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
    const twice = journal.filter((j) => j.n !== 1);
    // On failure, the saga events of the first saga that ran a command twice say why (a timeout, a retry, a second dispatch).
    const why = twice.length === 0 ? [] : timeline(world, twice[0]!.order_id.replace(/^order-/, ''));
    expect({ twice, why }).toEqual({ twice: [], why: [] });
    for (const s of sagas) {
      const ops = journal.filter((j) => j.order_id === `order-${s.id}`).map((j) => j.op);
      expect([s.id, ops]).toEqual([s.id, s.amount > 1000 ? ['create', 'reserve', 'charge', 'release', 'cancel'] : ['create', 'reserve', 'charge', 'complete']]);
    }
    // Every compensation command was issued once: one dispatch per undo step, however often it was relayed.
    const undoCommands = new Set(world.seen.filter((e) => e.type === 'saga.step.dispatched' && (e.payload as { phase: string }).phase === 'compensation').map((e) => e.id));
    expect(undoCommands.size).toBe(sagas.filter((s) => s.amount > 1000).length * 2);
  });
});

describe('saga orchestrator instances', () => {
  let world: SagaWorld;
  afterEach(async () => world?.close());

  it('share the sagas by partition, each partition owned by one instance, and finish every saga once', async () => {
    world = await sagaWorld('sagashare');
    await world.spawn(projectorMain, 'projector running');
    await world.spawn(agentsMain, 'order agents ready', { ORDER_AGENTS_SUFFIX: 's', ORDER_AGENTS_DECLINE_ABOVE: '1000' });
    await world.agentsOnline(3);
    const a = await world.spawn(orchestratorMain, 'owning saga partitions');
    const b = await world.spawn(orchestratorMain, 'saga orchestrator running');
    const owned = (p: typeof a) => {
      const lines = p.output().split('\n').filter((l) => l.includes('owning saga partitions'));
      return (JSON.parse(lines.at(-1)!) as { partitions: number[] }).partitions;
    };
    // After the second instance joined, the group rebalanced: the three partitions are split between them.
    await until(async () => b.output().includes('owning saga partitions') && owned(a).length + owned(b).length === 3 && owned(a).length > 0 && owned(b).length > 0, 60_000, () => 'a rebalance over both instances');
    expect([...owned(a), ...owned(b)].sort()).toEqual([0, 1, 2]);

    const sagas = Array.from({ length: 24 }, (_, i) => ({ id: `share-${i}`, amount: i % 4 === 0 ? 5000 : 10 }));
    for (const s of sagas) await world.requestOrder(s.id, s.amount);
    await until(
      async () => (await Promise.all(sagas.map((s) => world.statusOf(s.id)))).every((status, i) => status === (sagas[i]!.amount > 1000 ? 'failed' : 'completed')),
      120_000,
      () => 'every saga to end',
    );
    expect((await world.journal()).filter((j) => j.n !== 1)).toEqual([]);
    const partitions = (await world.db.raw(`select distinct partition from saga_orchestrator.sagas where saga_id like 'share-%'`)).rows.map((r: { partition: number }) => r.partition);
    expect(partitions.length).toBeGreaterThan(1);
  });

  it('a deadline stored in Postgres fires after a restart, with no instance running when it passed', async () => {
    world = await sagaWorld('sagatimer');
    const { loadOrchestratorConfig } = await import('./config');
    const { startSagaOrchestrator } = await import('./sagaOrchestrator');
    const { defineSaga } = await import('@agentbus/sagas');
    const { logger } = await import('./sagaWorld.spec-support');
    const slow = defineSaga({ name: 'slow', steps: [{ id: 'wait', command: { kind: 'task', assignee: { agentId: 'nobody' }, description: 'never answered' }, timeoutMs: 1500, retry: { maxAttempts: 1 } }] });
    const config = loadOrchestratorConfig({ ...process.env, ...world.env, SAGA_AGENT_DIRECTORY: 'read-model' });
    const first = await startSagaOrchestrator(config, logger, { definitions: [slow] });
    await world.bus.publish({ type: 'workflow.requested', source: 'test', payload: { sagaId: 'slow-1', sagaName: 'slow', input: '{}', requestedBy: 'test' } });
    await until(async () => (await world.db.withSchema('saga_orchestrator').from('sagas').where({ saga_id: 'slow-1' }).whereNotNull('next_wakeup').first()) !== undefined, 30_000, () => 'the deadline stored');
    await first.stop();
    await sleep(2500);
    expect(await world.statusOf('slow-1')).toBe('running');
    const second = await startSagaOrchestrator(config, logger, { definitions: [slow] });
    try {
      await until(async () => (await world.statusOf('slow-1')) === 'failed', 60_000, () => 'the timeout to fire after the restart');
      await until(async () => world.seen.some((e) => e.type === 'saga.step.timed_out' && (e.payload as { sagaId: string }).sagaId === 'slow-1'), 20_000, () => 'saga.step.timed_out on Kafka');
    } finally {
      await second.stop();
    }
  });

  it('dead-letters an event whose saga definition throws, with the reason, and applies the rest of its batch', async () => {
    world = await sagaWorld('sagapoison');
    const { loadOrchestratorConfig } = await import('./config');
    const { startSagaOrchestrator } = await import('./sagaOrchestrator');
    const { defineSaga } = await import('@agentbus/sagas');
    const { logger } = await import('./sagaWorld.spec-support');
    const broken = defineSaga({
      name: 'broken',
      steps: [{ id: 'boom', command: { kind: 'task', assignee: { agentId: 'nobody' }, description: 'x', input: () => { throw new Error('input builder exploded'); } }, timeoutMs: 60_000 }],
    });
    const fine = defineSaga({ name: 'fine', steps: [{ id: 'ok', command: { kind: 'task', assignee: { agentId: 'nobody' }, description: 'y' }, timeoutMs: 60_000 }] });
    const config = loadOrchestratorConfig({ ...process.env, ...world.env });
    const orchestrator = await startSagaOrchestrator(config, logger, { definitions: [broken, fine] });
    try {
      await world.bus.publishMany(
        ['broken', 'fine'].map((name) => ({ type: 'workflow.requested', source: 'test', payload: { sagaId: `${name}-1`, sagaName: name, input: '{}', requestedBy: 'test' } })),
      );
      await until(async () => (await world.statusOf('fine-1')) === 'running', 30_000, () => 'the fine saga to run');
      await until(async () => (await world.bus.deadLetters.list()).some((d) => d.subscription === config.groupId), 30_000, () => 'the dead letter');
      const dead = (await world.bus.deadLetters.list()).filter((d) => d.subscription === config.groupId);
      expect(dead).toHaveLength(1);
      expect(dead[0]!.reason).toMatch(/input builder exploded/);
      expect(await world.statusOf('broken-1')).toBeUndefined();
    } finally {
      await orchestrator.stop();
    }
  });
});
