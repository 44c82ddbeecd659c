/** Partitions by topic, as Kafka assigned them. */
export type AssignedPartitions = Readonly<Record<string, readonly number[]>>;

const key = (topic: string, partition: number): string => `${topic}/${partition}`;

/**
 * Which saga partitions may fire their timers. After an instance starts or takes a partition over,
 * the topics it reads may already hold the outcomes a stored deadline is waiting for (an agent
 * finished while no orchestrator ran). Firing that deadline first would retry a step that is done
 * and run its command twice, so a partition's timers wait until every topic's partition of that
 * number has been read up to where it ended when it was assigned. Pure: the orchestrator feeds it
 * the assignment, the end and stored offsets, and each batch's position.
 */
export class BacklogGate {
  private generation = 0;
  private assigned = new Map<number, string[]>();
  private ends: Map<string, bigint> | undefined;
  private reached = new Map<string, bigint>();

  /** A new assignment: nothing is live until its end offsets are known. Returns the generation to pass to `known`. */
  assign(assignment: AssignedPartitions): number {
    this.generation++;
    this.assigned = new Map();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const p of partitions) this.assigned.set(p, [...(this.assigned.get(p) ?? []), key(topic, p)]);
    }
    this.ends = undefined;
    this.reached = new Map();
    return this.generation;
  }

  /** The end offsets at assignment and the positions stored before it; ignored if another assignment came since. */
  known(generation: number, ends: ReadonlyMap<string, bigint>, stored: ReadonlyMap<string, bigint>): void {
    if (generation !== this.generation) return;
    this.ends = new Map(ends);
    for (const [k, at] of stored) this.advance(k, at);
  }

  consumed(topic: string, partition: number, nextOffset: bigint): void {
    this.advance(key(topic, partition), nextOffset);
  }

  isLive(partition: number): boolean {
    const keys = this.assigned.get(partition);
    if (!keys || !this.ends) return false;
    return keys.every((k) => (this.reached.get(k) ?? 0n) >= (this.ends!.get(k) ?? 0n));
  }

  private advance(k: string, at: bigint): void {
    if (at > (this.reached.get(k) ?? -1n)) this.reached.set(k, at);
  }
}
