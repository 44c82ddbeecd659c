import { randomBytes } from 'node:crypto';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { keyHashPartitioner, murmur2 } from './partitioner';

const metadata = (n: number): PartitionMetadata[] => Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0, offlineReplicas: [] }));
const randomKey = (i: number): string => {
  const alphabet = ['a', 'Z', '0', '-', '.', 'é', '日本', '🙂', ' '];
  return Array.from({ length: i % 70 }, () => alphabet[randomBytes(1)[0]! % alphabet.length]).join('');
};

describe('keyHashPartitioner', () => {
  it("hashes like Kafka's Java client: known murmur2 values", () => {
    // Values from Kafka's own UtilsTest.testMurmur2.
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(Buffer.from([...'abc'].map((c) => c.charCodeAt(0))))).toBe(479470107);
  });

  it.each([1, 3, 7, 12])('puts every key on the partition kafkajs puts it, %i partitions', (n) => {
    const ours = keyHashPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    const partitionMetadata = metadata(n);
    for (let i = 0; i < 1500; i++) {
      const key = i % 5 === 0 ? randomBytes(i % 40) : randomKey(i);
      const message = { key, value: 'v' };
      expect(ours({ topic: 't', partitionMetadata, message })).toBe(theirs({ topic: 't', partitionMetadata, message }));
    }
    const long = 'k'.repeat(5000) + '日本';
    expect(ours({ topic: 't', partitionMetadata, message: { key: long, value: 'v' } })).toBe(theirs({ topic: 't', partitionMetadata, message: { key: long, value: 'v' } }));
  });

  it('keeps an explicit partition and spreads unkeyed records over partitions with a leader', () => {
    const partitioner = keyHashPartitioner();
    const partitionMetadata = metadata(4).map((p) => (p.partitionId === 2 ? { ...p, leader: -1 } : p));
    expect(partitioner({ topic: 't', partitionMetadata, message: { key: 'k', value: 'v', partition: 3 } })).toBe(3);
    const seen = new Set(Array.from({ length: 30 }, () => partitioner({ topic: 't', partitionMetadata, message: { value: 'v' } })));
    expect([...seen].sort()).toEqual([0, 1, 3]);
  });
});
