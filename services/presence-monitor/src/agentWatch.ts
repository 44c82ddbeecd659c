import type { AgentEvent } from '@agentbus/events';
import { detect, takeOver, type AgentPresence, type DetectorEmission, type DetectorPolicy, type PresenceStatus } from '@agentbus/presence';

/**
 * The agents of the partitions this instance owns, each judged by the pure detector. Holds the
 * only mutable state of the monitor; everything it decides comes from `detect` and `takeOver`.
 */
export class AgentWatch {
  private readonly agents = new Map<string, AgentPresence>();
  private readonly owned = new Set<number>();

  constructor(private readonly policy: DetectorPolicy) {}

  get partitions(): number[] {
    return [...this.owned].sort((a, b) => a - b);
  }

  /** A new assignment: returns the partitions just taken over, whose stored agents must be adopted. */
  assign(partitions: readonly number[]): { added: number[]; removed: number[] } {
    const next = new Set(partitions);
    const added = partitions.filter((p) => !this.owned.has(p));
    const removed = [...this.owned].filter((p) => !next.has(p));
    for (const p of removed) this.owned.delete(p);
    for (const p of added) this.owned.add(p);
    if (removed.length > 0) for (const [id, agent] of this.agents) if (!next.has(agent.partition)) this.agents.delete(id);
    return { added, removed };
  }

  /** Stored agents of partitions just taken over; an agent already heard from since is kept as it is. */
  adopt(stored: readonly AgentPresence[], now: number): void {
    for (const agent of stored) {
      if (!this.owned.has(agent.partition) || this.agents.has(agent.agentId)) continue;
      this.agents.set(agent.agentId, takeOver(agent, now, this.policy));
    }
  }

  /** Returns the agents to store and what to emit. */
  handle(events: readonly { event: AgentEvent; partition: number }[], now: number): { changed: AgentPresence[]; emit: DetectorEmission[] } {
    const changed = new Map<string, AgentPresence>();
    const emit: DetectorEmission[] = [];
    for (const { event, partition } of events) {
      const agentId = (event.payload as { agentId?: unknown }).agentId;
      if (typeof agentId !== 'string') continue;
      const before = this.agents.get(agentId);
      const detection = detect(before, { kind: 'event', event, partition }, now, this.policy);
      emit.push(...detection.emit);
      // Stored even when unchanged: a verdict this monitor reached on a tick is only written when
      // its own event comes back, in the transaction that also moves the offsets past it.
      if (detection.state) {
        this.agents.set(agentId, detection.state);
        changed.set(agentId, detection.state);
      }
    }
    return { changed: [...changed.values()], emit };
  }

  tick(now: number): DetectorEmission[] {
    const emit: DetectorEmission[] = [];
    for (const [id, agent] of this.agents) {
      if (agent.deadline === null || now < agent.deadline) continue;
      const detection = detect(agent, { kind: 'tick' }, now, this.policy);
      if (detection.state) this.agents.set(id, detection.state);
      emit.push(...detection.emit);
    }
    return emit;
  }

  get agentIds(): string[] {
    return [...this.agents.keys()].sort();
  }

  counts(): Record<PresenceStatus, number> {
    const counts: Record<PresenceStatus, number> = { online: 0, paused: 0, suspected: 0, offline: 0 };
    for (const agent of this.agents.values()) counts[agent.status] += 1;
    return counts;
  }
}
