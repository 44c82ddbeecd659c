import { createKafkaEventBus, Headers } from '@agentbus/bus';
import { generateSigningKey, signatureHeader, signRecord, verifyRecordSignature } from '@agentbus/identity';
import type { Logger } from '@agentbus/logger';
import { publishThroughBus, type PublishRun } from './publish';
import { nowMs } from './stats';
import { config, type BenchWorld } from './world';
import type { TaskCreatedInput } from './workload';

/**
 * Issue 15's figures: publishSigningComparison is the `identity` group of bench/run.ts;
 *
 *   - publishSigningComparison: publishMany through an unsigned bus and a signed one, same
 *     prefix, same inputs; the goal is signed >= 0.8x unsigned.
 *   - replay with AGENTBUS_VERIFY_SIGNATURES=require vs off: rebuildReadModels takes `identity`
 *     ({ verifier: new RecordVerifier({ mode: 'require', policy }) }); the prefill must then be
 *     signed (signHeaders from @agentbus/bus on each pre-encoded message) and the key allowed,
 *     or every record is refused.
 *
 * Per-record CPU costs alone, no broker: npx tsx scripts/bench/identity.ts
 */
export const publishSigningComparison = async (world: BenchWorld, inputs: readonly TaskCreatedInput[], batchSize: number, log: Logger): Promise<{ unsigned: PublishRun; signed: PublishRun; ratio: number }> => {
  const unsignedBus = await world.bus();
  const signedBus = createKafkaEventBus({ connection: { ...config, topicPrefix: world.prefix }, service: 'bench-signed', logger: log, signingKey: generateSigningKey() });
  try {
    // Warm both producers and codecs so neither run pays for connecting.
    await unsignedBus.publishMany(inputs.slice(0, batchSize));
    await signedBus.publishMany(inputs.slice(0, batchSize));
    const unsigned = await publishThroughBus(unsignedBus, inputs, batchSize);
    const signed = await publishThroughBus(signedBus, inputs, batchSize);
    return { unsigned, signed, ratio: signed.eventsPerSec / unsigned.eventsPerSec };
  } finally {
    await signedBus.close({ deadlineMs: 10_000 });
  }
};

const time = (label: string, n: number, fn: (i: number) => unknown): void => {
  for (let i = 0; i < n / 4; i++) fn(i);
  const start = nowMs();
  for (let i = 0; i < n; i++) fn(i);
  console.log(`${(((nowMs() - start) * 1000) / n).toFixed(2).padStart(8)} µs  ${label}`);
};

if (require.main === module) {
  const key = generateSigningKey();
  const value = Buffer.alloc(480, 7);
  const record = { topic: 'agentbus.task', routingKey: 'task.created', value };
  const signature = signRecord(key, record);
  console.log('per record, a 480-byte value:');
  time('sign (signing input + Ed25519)', 20_000, () => signRecord(key, record));
  time('verify (header parse + cached did:key + Ed25519)', 20_000, () => verifyRecordSignature({ ...record, signature }));
  time('headers object with the signature', 200_000, () => ({ [Headers.routingKey]: 'task.created', [signatureHeader]: signature }));
}
