import type { PublishInput } from '@agentbus/bus';

/** A deterministic mix of every kind of event the read models care about, in a plausible order. */
export const mixedWorkload = (options: { tasks: number; agents?: number; seed?: number; run?: string }): PublishInput[] => {
  let state = options.seed ?? 7;
  const random = () => ((state = (state * 48271) % 2147483647) / 2147483647);
  const run = options.run ?? 'w';
  const agents = Array.from({ length: options.agents ?? 3 }, (_, i) => `${run}-agent-${i + 1}`);
  const out: PublishInput[] = [];
  for (const agentId of agents) {
    out.push({ type: 'agent.online', source: agentId, payload: { agentId, agentClass: 'worker', capabilities: ['summarise'], capacity: 4, specializations: ['financial'], heartbeatIntervalMs: 5000 } });
    out.push({ type: 'agent.heartbeat', source: agentId, payload: { agentId, status: 'healthy', load: random(), memoryUsageBytes: 1_000_000, inFlight: 1 } });
  }
  for (let i = 1; i <= options.tasks; i++) {
    const taskId = `${run}-t${i}`;
    const agentId = agents[i % agents.length]!;
    out.push({ type: 'task.created', source: 'planner', payload: { taskId, description: `task ${i}`, priority: (['low', 'normal', 'high', 'critical'] as const)[i % 4], domain: i % 3 === 0 ? 'financial' : null } });
    out.push({ type: 'task.assigned', source: 'orchestrator', routingKey: `task.assigned.${agentId}`, payload: { taskId, agentId, assignedBy: 'orchestrator', description: `task ${i}` } });
    out.push({ type: 'task.acknowledged', source: agentId, payload: { taskId, agentId } });
    if (random() < 0.2) {
      out.push({ type: 'task.failed', source: agentId, payload: { taskId, agentId, error: 'model timeout', retriable: true, attempt: 1 } });
    } else {
      out.push({ type: 'task.completed', source: agentId, payload: { taskId, result: { status: 'success', output: '{}', metrics: { durationMs: Math.floor(random() * 1000), tokensUsed: Math.floor(random() * 900) } } } });
    }
    if (i % 5 === 0) {
      const actionId = `${run}-a${i}`;
      out.push({ type: 'action.proposed', source: agentId, payload: { actionId, proposedBy: agentId, action: 'transfer', arguments: '{"amount":10}', risk: 'high' } });
      out.push(
        i % 10 === 0
          ? { type: 'action.vetoed', source: 'human', payload: { actionId, vetoedBy: 'alice', reason: 'too risky' } }
          : { type: 'action.approved', source: 'human', payload: { actionId, approvedBy: 'bob' } },
      );
    }
    if (i % 7 === 0) out.push({ type: 'score.updated', source: 'governor', payload: { agentId, score: random(), reason: 'review' } });
    if (i % 11 === 0) out.push({ type: 'violation.detected', source: 'governor', payload: { agentId, violation: 'pii leak', severity: 'high' } });
  }
  out.push({ type: 'agent.backpressure', source: agents[0]!, payload: { agentId: agents[0]!, subscription: 'tasks', state: 'paused', queueSize: 100, maxInFlight: 100 } });
  return out;
};
