import type { ICustomPartitioner, PartitionerArgs } from 'kafkajs';

// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), in 32-bit integer arithmetic.
// kafkajs computes the same hash with a 64-bit Long object per step, which was 11 % of a
// publish profile; the partition for a key must not change, so it is checked against kafkajs'.
const seed = 0x9747b28c;
const m = 0x5bd1e995;
const scratch = Buffer.allocUnsafe(1024);

export const murmur2 = (key: Buffer | string): number => {
  let data: Buffer;
  let length: number;
  if (Buffer.isBuffer(key)) {
    data = key;
    length = key.length;
  } else if (key.length * 3 <= scratch.length) {
    data = scratch;
    length = scratch.write(key, 0, 'utf8');
  } else {
    data = Buffer.from(key, 'utf8');
    length = data.length;
  }
  let h = (seed ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ data[tail]!, m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
};

/**
 * kafkajs' default partitioner, partition for partition: a keyed record goes to
 * murmur2(key) mod partitions (as Kafka's Java client puts it), an unkeyed one round-robin over
 * the partitions that have a leader. Only faster.
 */
export const keyHashPartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key !== null && message.key !== undefined) return (murmur2(message.key) & 0x7fffffff) % partitionMetadata.length;
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    const next = ((counters.get(topic) ?? Math.floor(Math.random() * 0x7fffffff)) + 1) & 0x7fffffff;
    counters.set(topic, next);
    return available.length > 0 ? available[next % available.length]!.partitionId : next % partitionMetadata.length;
  };
};
