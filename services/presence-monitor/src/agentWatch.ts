import type { AgentEvent } from '@agentbus/events';
import { detect, type AgentPresence, type DetectorEmission, type DetectorPolicy, type PresenceStatus } from '@agentbus/presence';

export interface HeardEvent {
  event: AgentEvent;
  partition: number;
}

/**
 * The agents of the partitions this instance owns, each judged by the pure detector. Holds the
 * only mutable state of the monitor; everything it decides comes from `detect`.
 *
 * A partition just taken over is first caught up: its backlog (records up to the partition's end
 * at take-over) is read as a replay, which updates the agents but raises nothing, since those
 * records were judged by the previous owner and their wall-clock age is unknown. Then the
 * partition goes live and each of its agents gets one full timeout from that moment.
 */
export class AgentWatch {
  private readonly agents = new Map<string, AgentPresence>();
  private readonly owned = new Set<number>();
  /** Partitions not yet live: the last backlog offset to read before they are. */
  private readonly catchingUp = new Map<number, bigint>();

  constructor(private readonly policy: DetectorPolicy) {}

  get partitions(): number[] {
    return [...this.owned].sort((a, b) => a - b);
  }

  get livePartitions(): number[] {
    return this.partitions.filter((p) => !this.catchingUp.has(p));
  }

  get agentIds(): string[] {
    return [...this.agents.keys()].sort();
  }

  /** A new assignment; returns the partitions just taken over, to be adopted, and those handed over. */
  assign(partitions: readonly number[]): { added: number[]; removed: number[] } {
    const next = new Set(partitions);
    const added = partitions.filter((p) => !this.owned.has(p));
    const removed = [...this.owned].filter((p) => !next.has(p));
    for (const p of removed) {
      this.owned.delete(p);
      this.catchingUp.delete(p);
    }
    for (const p of added) {
      this.owned.add(p);
      this.catchingUp.set(p, -1n);
    }
    if (removed.length > 0) for (const [id, agent] of this.agents) if (!next.has(agent.partition)) this.agents.delete(id);
    return { added, removed };
  }

  /**
   * The stored agents of a partition just taken over, and where its backlog ends: `position` is
   * the next offset the consumer reads, `end` the partition's end now. An agent already heard from
   * since the take-over is kept as it is. Returns what going live emits when there is no backlog.
   */
  adopt(partition: number, stored: readonly AgentPresence[], position: bigint, end: bigint, now: number): DetectorEmission[] {
    if (!this.owned.has(partition)) return [];
    for (const agent of stored) if (agent.partition === partition && !this.agents.has(agent.agentId)) this.agents.set(agent.agentId, agent);
    if (position >= end) return this.goLive(partition, now);
    this.catchingUp.set(partition, end - 1n);
    return [];
  }

  /** Returns the agents to store and what to emit. */
  handle(heard: readonly HeardEvent[], now: number): { changed: AgentPresence[]; emit: DetectorEmission[] } {
    const changed = new Map<string, AgentPresence>();
    const emit: DetectorEmission[] = [];
    for (const { event, partition } of heard) {
      const agentId = (event.payload as { agentId?: unknown }).agentId;
      if (typeof agentId === 'string') {
        const detection = detect(this.agents.get(agentId), { kind: 'event', event, partition, replaying: this.catchingUp.has(partition) }, now, this.policy);
        emit.push(...detection.emit);
        // Stored even when unchanged: a verdict this monitor reached on a tick is only written when
        // its own event comes back, in the transaction that also moves the offsets past it.
        if (detection.state) {
          this.agents.set(agentId, detection.state);
          changed.set(agentId, detection.state);
        }
      }
    }
    return { changed: [...changed.values()], emit };
  }

  /** The consumer has applied `offset` of `partition`: at the end of its backlog, the partition goes live. */
  reached(partition: number, offset: string, now: number): DetectorEmission[] {
    const last = this.catchingUp.get(partition);
    return last !== undefined && last >= 0n && BigInt(offset) >= last ? this.goLive(partition, now) : [];
  }

  tick(now: number): DetectorEmission[] {
    const emit: DetectorEmission[] = [];
    for (const [id, agent] of this.agents) {
      if (agent.deadline === null || now < agent.deadline || this.catchingUp.has(agent.partition)) continue;
      const detection = detect(agent, { kind: 'tick' }, now, this.policy);
      if (detection.state) this.agents.set(id, detection.state);
      emit.push(...detection.emit);
    }
    return emit;
  }

  counts(): Record<PresenceStatus, number> {
    const counts: Record<PresenceStatus, number> = { online: 0, paused: 0, suspected: 0, offline: 0 };
    for (const agent of this.agents.values()) counts[agent.status] += 1;
    return counts;
  }

  private goLive(partition: number, now: number): DetectorEmission[] {
    this.catchingUp.delete(partition);
    const emit: DetectorEmission[] = [];
    for (const [id, agent] of this.agents) {
      if (agent.partition !== partition) continue;
      const detection = detect(agent, { kind: 'takeOver' }, now, this.policy);
      if (detection.state) this.agents.set(id, detection.state);
      emit.push(...detection.emit);
    }
    return emit;
  }
}
