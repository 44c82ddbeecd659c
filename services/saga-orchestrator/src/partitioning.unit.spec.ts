import { Partitioners } from 'kafkajs';
import { coPartitionedKey, partitionOf } from './partitioning';

const kafkajsPartition = (key: string, partitions: number): number =>
  Partitioners.DefaultPartitioner()({
    topic: 't',
    partitionMetadata: Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] })),
    message: { key, value: null },
  });

describe('partitionOf', () => {
  it('agrees with the kafkajs default partitioner for keyed messages', () => {
    for (const partitions of [1, 3, 7, 12]) {
      for (let i = 0; i < 300; i++) {
        const key = `saga-${i}-${'x'.repeat(i % 5)}`;
        expect(partitionOf(key, partitions)).toBe(kafkajsPartition(key, partitions));
      }
    }
  });
});

describe('coPartitionedKey', () => {
  it('keeps the base when it already lands on the saga partition, else salts it, deterministically', () => {
    for (let i = 0; i < 100; i++) {
      const sagaId = `saga-${i}`;
      const key = coPartitionedKey(sagaId, `${sagaId}.pay.1`, 3);
      expect(partitionOf(key, 3)).toBe(partitionOf(sagaId, 3));
      expect(key.startsWith(`${sagaId}.pay.1`)).toBe(true);
      expect(coPartitionedKey(sagaId, `${sagaId}.pay.1`, 3)).toBe(key);
    }
  });
});
