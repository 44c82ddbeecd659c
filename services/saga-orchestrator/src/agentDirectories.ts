import type { Knex } from 'knex';
import { findCapableAgents } from '@agentbus/presence';
import type { AgentCandidate, AgentDirectory, AgentSnapshot, FindCapableOptions, SagaDefinition } from '@agentbus/sagas';

/** The presence monitor's answer: online agents with the capability and spare capacity, least loaded first. */
export const presenceDirectory = (db: Knex): AgentDirectory => ({
  findCapableAgents: async (capability, options = {}) =>
    (await findCapableAgents(db, capability, { minCapacity: options.minCapacity ?? 1 })).map((a) => ({ agentId: a.agentId, capacity: a.spareCapacity, load: a.load })),
});

/** The projector's read.agents, for deployments without the presence monitor. */
export const readModelDirectory = (db: Knex): AgentDirectory => ({
  findCapableAgents: async (capability, options = {}) => {
    const rows: { agent_id: string; capacity: number; load: number | null }[] = (
      await db.raw(
        `select agent_id, capacity, load from read.agents
          where state = 'online' and ? = any(capabilities) and coalesce(capacity, 0) - coalesce(in_flight, 0) >= ?
          order by coalesce(load, 0), agent_id`,
        [capability, options.minCapacity ?? 1],
      )
    ).rows;
    return rows.map((r) => ({ agentId: r.agent_id, capacity: r.capacity, load: r.load ?? 0 }));
  },
});

export const capabilitiesOf = (definition: SagaDefinition): { capability: string; minCapacity: number }[] =>
  definition.steps
    .flat()
    .flatMap((step) => [step.command, step.compensation])
    .flatMap((c) => (c?.kind === 'task' && 'capability' in c.assignee ? [{ capability: c.assignee.capability, minCapacity: c.assignee.minCapacity ?? 1 }] : []));

/**
 * The decider is pure, so the directory is asked before it runs. Answers are reused for `ttlMs`:
 * a burst of sagas costs one query per capability, and an agent that left is dropped within ttlMs.
 */
export class CachedDirectory {
  private readonly cache = new Map<string, { at: number; agents: AgentCandidate[] }>();

  constructor(
    private readonly directory: AgentDirectory,
    private readonly onError: (error: unknown, capability: string) => void,
    private readonly ttlMs = 500,
  ) {}

  async snapshot(needs: readonly { capability: string; minCapacity: number }[], now: number): Promise<AgentSnapshot> {
    const answers = new Map<string, AgentCandidate[]>();
    for (const { capability, minCapacity } of needs) {
      const id = `${capability}\u0000${minCapacity}`;
      if (answers.has(id)) continue;
      let hit = this.cache.get(id);
      if (!hit || now - hit.at > this.ttlMs) {
        let agents: AgentCandidate[] = [];
        let at = now;
        try {
          agents = await this.directory.findCapableAgents(capability, { minCapacity });
        } catch (error) {
          // No answer reads as no agent: the step's attempt fails and is retried, the saga goes on.
          // The failure is kept for 10 s, so a missing directory costs one query and one warning per 10 s.
          this.onError(error, capability);
          at = now + 10_000 - this.ttlMs;
        }
        hit = { at, agents };
        this.cache.set(id, hit);
      }
      answers.set(id, hit.agents);
    }
    return { findCapableAgents: (capability: string, options: FindCapableOptions = {}) => answers.get(`${capability}\u0000${options.minCapacity ?? 1}`) ?? [] };
  }
}
