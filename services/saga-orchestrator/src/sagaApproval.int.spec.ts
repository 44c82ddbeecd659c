import { defineSaga } from '@agentbus/sagas';
import type { AgentEvent } from '@agentbus/events';
import { loadOrchestratorConfig } from './config';
import { startSagaOrchestrator, type RunningOrchestrator } from './sagaOrchestrator';
import { logger, sagaWorld, until, type SagaWorld } from './sagaWorld.spec-support';

jest.setTimeout(120_000);

// A human approves or vetoes from outside the workflow. The booking step completes on the very event
// it sends (a ledger that only records), so the saga's path depends on the approval alone.
const transfer = defineSaga({
  name: 'transfer',
  steps: [
    { id: 'approve', command: { kind: 'approval', action: 'transfer_funds', arguments: ({ input }) => input, risk: 'high', rationale: 'large transfer' }, timeoutMs: 60_000 },
    { id: 'book', command: { kind: 'event', type: 'document.processed', payload: ({ correlationKey }) => ({ documentId: correlationKey, agentId: 'ledger', contentType: 'application/json', bytes: 1, summary: null }), completedBy: [{ type: 'document.processed', keyOf: (e) => (e.payload as { documentId: string }).documentId }] }, timeoutMs: 60_000 },
  ],
});

describe('approval steps against the real bus', () => {
  let world: SagaWorld;
  let orchestrator: RunningOrchestrator;
  beforeAll(async () => {
    world = await sagaWorld('sagaapproval');
    orchestrator = await startSagaOrchestrator(loadOrchestratorConfig({ ...process.env, ...world.env }), logger, { definitions: [transfer] });
  });
  afterAll(async () => {
    await orchestrator?.stop();
    await world?.close();
  });

  const proposal = async (sagaId: string): Promise<AgentEvent> => {
    let found: AgentEvent | undefined;
    await until(async () => (found = world.seen.find((e) => e.type === 'action.proposed' && (e.payload as { actionId: string }).actionId.startsWith(`${sagaId}.`))) !== undefined, 30_000, () => `action.proposed for ${sagaId}`);
    return found!;
  };

  it('publishes action.proposed with a deadline, and goes on after action.approved', async () => {
    await world.bus.publish({ type: 'workflow.requested', source: 'test', payload: { sagaId: 'tr-ok', sagaName: 'transfer', input: '{"amount":9000}', requestedBy: 'test' } });
    const proposed = await proposal('tr-ok');
    expect(proposed.payload).toMatchObject({ action: 'transfer_funds', arguments: '{"amount":9000}', risk: 'high', proposedBy: 'saga-orchestrator' });
    expect((proposed.payload as { deadline: number }).deadline).toBeGreaterThan(Date.now());
    await world.bus.publish({ type: 'action.approved', source: 'human:alice', payload: { actionId: (proposed.payload as { actionId: string }).actionId, approvedBy: 'human:alice', comment: 'ok' } });
    await until(async () => (await world.statusOf('tr-ok')) === 'completed', 30_000, () => 'tr-ok to complete');
  });

  it('follows the failure path on action.vetoed', async () => {
    await world.bus.publish({ type: 'workflow.requested', source: 'test', payload: { sagaId: 'tr-veto', sagaName: 'transfer', input: '{"amount":90000}', requestedBy: 'test' } });
    const proposed = await proposal('tr-veto');
    await world.bus.publish({ type: 'action.vetoed', source: 'human:bob', payload: { actionId: (proposed.payload as { actionId: string }).actionId, vetoedBy: 'human:bob', reason: 'too large' } });
    await until(async () => (await world.statusOf('tr-veto')) === 'failed', 30_000, () => 'tr-veto to fail');
    await until(async () => world.seen.some((e) => e.type === 'saga.failed' && (e.payload as { sagaId: string }).sagaId === 'tr-veto'), 20_000, () => 'saga.failed');
    const failed = world.seen.find((e) => e.type === 'saga.failed' && (e.payload as { sagaId: string }).sagaId === 'tr-veto')!;
    expect(failed.payload).toMatchObject({ status: 'failed', failedStep: 'approve', reason: 'vetoed by human:bob: too large' });
  });
});
