import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

// Kafka's default partitioner (Java and kafkajs alike): murmur2 of the key, made positive, modulo
// the partition count. https://github.com/apache/kafka/blob/trunk/clients/src/main/java/org/apache/kafka/common/utils/Utils.java
const murmur2 = (data: Buffer): number => {
  const m = 0x5bd1e995;
  const r = 24;
  let h = 0x9747b28c ^ data.length;
  const length4 = data.length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = (data[i4]! & 0xff) + ((data[i4 + 1]! & 0xff) << 8) + ((data[i4 + 2]! & 0xff) << 16) + ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const left = data.length & 3;
  const index = data.length - left;
  if (left >= 3) h ^= (data[index + 2]! & 0xff) << 16;
  if (left >= 2) h ^= (data[index + 1]! & 0xff) << 8;
  if (left >= 1) {
    h ^= data[index]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
};

export const partitionOf = (key: string, partitions: number): number => (murmur2(Buffer.from(key)) & 0x7fffffff) % partitions;

/**
 * A task or action id that lands on the saga's partition number, so the outcome an agent keys by it
 * reaches the instance that owns the saga. Deterministic: the same base always gives the same id.
 */
export const coPartitionedKey = (sagaId: string, base: string, partitions: number): string => {
  const target = partitionOf(sagaId, partitions);
  if (partitionOf(base, partitions) === target) return base;
  for (let salt = 1; ; salt++) {
    const key = `${base}~${salt}`;
    if (partitionOf(key, partitions) === target) return key;
  }
};

export const coPartitionedAssignerName = 'AgentbusCoPartitioned';

/**
 * Gives partition p of every subscribed topic to the same member (like Kafka Streams does for
 * co-partitioned topics): the saga topic's partition p and the task and decision topics' p travel
 * together, so one instance owns a saga and sees all of its outcomes.
 */
export const coPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: coPartitionedAssignerName,
  version: 1,
  async assign({ members, topics }) {
    const memberIds = members.map((m) => m.memberId).sort();
    const plan = new Map<string, Record<string, number[]>>(memberIds.map((id) => [id, {}]));
    for (const topic of topics) {
      const partitions = cluster
        .findTopicPartitionMetadata(topic)
        .map((p) => p.partitionId)
        .sort((a, b) => a - b);
      for (const partition of partitions) {
        const member = plan.get(memberIds[partition % memberIds.length]!)!;
        (member[topic] ??= []).push(partition);
      }
    }
    return [...plan].map(([memberId, assignment]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: coPartitionedAssignerName, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
  },
});
