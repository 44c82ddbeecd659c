import { createKafkaEventBus, Headers, RecordVerifier, type PublishInput } from '@agentbus/bus';
import { generateSigningKey, maxBatchLeaves, signatureHeader, signRecord, signRecordGroups, signRecords, signRecordsV2, staticAgentPolicy, VerifiedBatches, verifyRecordSignature, type SigningKey } from '@agentbus/identity';
import type { Logger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { ensureLiveReadModels } from '@agentbus/read-models';
import { createTestDatabase } from '@agentbus/testing';
import { summarise, type PublishRun } from './publish';
import { prefill, rebuildBenchTopics } from './replay';
import { cpuMicros, nowMs } from './stats';
import { benchWorld, config, type BenchWorld } from './world';
import { chunk, type TaskCreatedInput } from './workload';

/**
 * Issue 15's figures: publishSigningComparison is the `identity` group of bench/run.ts;
 *
 *   - publishSigningComparison: publishMany through an unsigned bus and a signed one, same
 *     prefix, same inputs, batch by batch in turns; the goal is signed >= 0.8x unsigned.
 *   - replayVerificationComparison: the same signed topics rebuilt into all read models with
 *     verification off and with `require` (the projector's AGENTBUS_VERIFY_SIGNATURES); the goal
 *     is require >= 0.8x off.
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
    // Batch by batch in turns (which goes first alternating too): this machine's speed drifts by
    // up to 1.7x within a minute, and two runs one after the other measured the drift as much as
    // the signing. Each call's time and CPU are its own bus's (the calls do not overlap).
    const runs = { unsigned: { ms: 0, cpu: 0, batchMs: [] as number[] }, signed: { ms: 0, cpu: 0, batchMs: [] as number[] } };
    const turn = async (which: 'unsigned' | 'signed', batch: PublishInput[]): Promise<void> => {
      const t = nowMs();
      const cpu = cpuMicros();
      await (which === 'signed' ? signedBus : unsignedBus).publishMany(batch);
      runs[which].cpu += cpuMicros() - cpu;
      const ms = nowMs() - t;
      runs[which].ms += ms;
      runs[which].batchMs.push(ms);
    };
    const batches = chunk(inputs as readonly PublishInput[], batchSize);
    for (let i = 0; i < batches.length; i++) {
      for (const which of i % 2 === 0 ? (['unsigned', 'signed'] as const) : (['signed', 'unsigned'] as const)) await turn(which, batches[i]!);
    }
    const unsigned = summarise(inputs.length, runs.unsigned.ms, runs.unsigned.batchMs, runs.unsigned.cpu);
    const signed = summarise(inputs.length, runs.signed.ms, runs.signed.batchMs, runs.signed.cpu);
    return { unsigned, signed, ratio: signed.eventsPerSec / unsigned.eventsPerSec };
  } finally {
    await signedBus.close({ deadlineMs: 10_000 });
  }
};

export interface RebuildRun {
  seconds: number;
  eventsPerSec: number;
  cpuUsPerEvent: number;
}

/** Alternating rebuilds of one set of signed topics, without and with verification (require). */
export const replayVerificationComparison = async (events: number, reps: number, log: Logger, say: (line: string) => void): Promise<{ off: RebuildRun[]; require: RebuildRun[]; verifiedBatches: VerifiedBatches['counts'] }> => {
  const world = await benchWorld('verify', log);
  const database = await createTestDatabase('bench_verify', config.databaseUrl);
  const db = createDatabase({ url: database.url, poolMax: 4, applicationName: 'agentbus-bench-verify' });
  const key: SigningKey = generateSigningKey();
  const counts = { cached: 0, verified: 0 };
  try {
    const filled = await prefill(world.prefix, world.subjects, events, say, key);
    say(`  pre-filled ${events.toLocaleString('en-US')} events signed by ${key.did.slice(0, 20)}… in ${filled.prefillSeconds.toFixed(1)} s`);
    await ensureLiveReadModels(db);
    const rebuild = async (verify: boolean): Promise<RebuildRun> => {
      const verifier = verify ? new RecordVerifier({ mode: 'require', policy: staticAgentPolicy([{ did: key.did, types: ['#'], name: 'bench', allowedAt: new Date(), revokedAt: null }]) }) : undefined;
      const t = nowMs();
      const cpu = cpuMicros();
      const rebuilt = await rebuildBenchTopics(world, database, db, filled.codec, log, verifier ? { identity: { verifier } } : {});
      const seconds = (nowMs() - t) / 1000;
      if (rebuilt.events !== events) throw new Error(`the rebuild (verify ${verify ? 'require' : 'off'}) reports ${rebuilt.events} events, ${events} were produced: refused records went to the dead-letter topic`);
      if (verifier) {
        const c = verifier.verifiedBatchCounts;
        counts.cached += c.cached;
        counts.verified += c.verified;
      }
      return { seconds, eventsPerSec: events / seconds, cpuUsPerEvent: (cpuMicros() - cpu) / events };
    };
    const off: RebuildRun[] = [];
    const required: RebuildRun[] = [];
    for (let rep = 1; rep <= reps; rep++) {
      off.push(await rebuild(false));
      required.push(await rebuild(true));
      say(`  rep ${rep}: verify off ${Math.round(off.at(-1)!.eventsPerSec).toLocaleString('en-US')} events/s (${off.at(-1)!.cpuUsPerEvent.toFixed(1)} µs CPU/event), require ${Math.round(required.at(-1)!.eventsPerSec).toLocaleString('en-US')} events/s (${required.at(-1)!.cpuUsPerEvent.toFixed(1)} µs)`);
    }
    return { off, require: required, verifiedBatches: counts };
  } finally {
    await db.destroy();
    await database.drop().catch((e: Error) => say(`  could not drop ${database.name}: ${e.message}`));
    await world.cleanup();
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
  time('sign v1 (signing input + Ed25519)', 20_000, () => signRecord(key, record));
  time('verify v1 (header parse + cached did:key + Ed25519)', 20_000, () => verifyRecordSignature({ ...record, signature }));
  for (const [version, sign, size] of [['v2', signRecordsV2, 64], ['v3', signRecords, maxBatchLeaves]] as const) {
    const batch = Array.from({ length: size }, (_, i) => ({ ...record, value: Buffer.concat([value, Buffer.from([i % 256, i >> 8])]) }));
    time(`sign ${version}, per record of a tree of ${size} (leaf, tree, one Ed25519 per tree, headers)`, size * 100, (i) => i % size === 0 && sign(key, batch));
    const headers: (string | Buffer)[] = sign(key, batch);
    console.log(`         ${version} header: ${Buffer.byteLength(headers[5]!)} bytes`);
    let verified = new VerifiedBatches();
    time(`verify ${version}, each record of a tree of ${size} once, in order (leaf, ~1 node hash, 1/${size} of an Ed25519 verify)`, size * 100, (i) => {
      if (i % size === 0) verified = new VerifiedBatches();
      return verifyRecordSignature({ ...batch[i % size]!, signature: headers[i % size] }, verified);
    });
    time(`verify ${version}, no cache (leaf + path + Ed25519)`, 5_000, (i) => verifyRecordSignature({ ...batch[i % size]!, signature: headers[i % size] }));
  }
  {
    // v4 as publishMany writes it: a produce of 504 records over 8 partitions, one signature.
    const groups = Array.from({ length: 8 }, (_, g) => Array.from({ length: 63 }, (_, i) => ({ ...record, value: Buffer.concat([value, Buffer.from([g, i])]) })));
    const rows = groups.flatMap((group, partition) => group.map((r, i) => ({ ...r, partition, offset: String(1000 + i) })));
    const n = rows.length;
    time(`sign v4, per record of a produce of 8 groups of 63 (leaf, group hashes, one Ed25519, headers)`, n * 50, (i) => i % n === 0 && signRecordGroups(key, groups));
    const headers = signRecordGroups(key, groups).flat();
    console.log(`         v4 header: ${headers[0]!.length} bytes a member, ${headers[62]!.length} the carrier`);
    let verified = new VerifiedBatches();
    time(`verify v4, each record of the produce once, carriers read first (leaf hash, 1/${n} of an Ed25519 verify)`, n * 50, (i) => {
      const at = i % n;
      if (at === 0) {
        verified = new VerifiedBatches();
        rows.forEach((row, j) => verified.learnCarrier(row.topic, { partition: row.partition, offset: row.offset }, headers[j]));
      }
      const row = rows[at]!;
      return verifyRecordSignature({ ...row, signature: headers[at], position: { partition: row.partition, offset: row.offset } }, verified);
    });
  }
  time('headers object with the signature', 200_000, () => ({ [Headers.routingKey]: 'task.created', [signatureHeader]: signature }));
}
