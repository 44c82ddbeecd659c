import { randomBytes } from 'node:crypto';
import type { Message } from 'kafkajs';
import { preEncode, publishRaw, rawProducer, type PublishRun } from './publish';
import { median, round } from './stats';
import { benchLogger, benchWorld, closeLogs, ensureInfra } from './world';
import { taskCreatedInputs } from './workload';

/**
 * What the bytes of a signature header cost a producer, without any signing: raw kafkajs sends of
 * the same task.created records with the bus's two headers, plus a v2-sized text header, plus a
 * v3-sized binary one, and with the value made as much longer as the v2 header. Alternating, the
 * median of 3 repetitions:
 *
 *   npx tsx scripts/bench/headerBytes.ts [events]
 */
const main = async (): Promise<void> => {
  const events = Number(process.argv[2] ?? 60_000);
  await ensureInfra(false, console.log);
  const world = await benchWorld('header-bytes', benchLogger('/dev/null'));
  try {
    const encoded = await preEncode(world, taskCreatedInputs(events, `hb${Date.now().toString(36)}`));
    const plus = (extra: (m: Message) => Partial<Message>) => encoded.withHeaders.map((m) => ({ ...m, ...extra(m) }));
    const v2Text = `v=2;alg=ed25519;kid=did:key:z6Mk${'x'.repeat(44)};sig=${randomBytes(64).toString('base64')};leaf=12/64;path=${randomBytes(192).toString('base64')}`;
    const variants: Record<string, Message[]> = {
      'two headers (the bus, unsigned)': encoded.withHeaders,
      '+ 441 characters of text (v2-sized)': plus((m) => ({ headers: { ...m.headers, 'agentbus-signature': v2Text } })),
      '+ 295 bytes (v3-sized)': plus((m) => ({ headers: { ...m.headers, 'agentbus-signature': Buffer.concat([Buffer.from([0xff]), randomBytes(294)]) } })),
      'value + 460 bytes, no signature': plus((m) => ({ value: Buffer.concat([m.value as Buffer, Buffer.alloc(460, 1)]) })),
    };
    const { producer, close } = await rawProducer();
    try {
      for (const messages of Object.values(variants)) await publishRaw(producer, world.taskTopic, messages.slice(0, 10_000), 500);
      const runs: Record<string, PublishRun[]> = {};
      for (let rep = 0; rep < 3; rep++) for (const [name, messages] of Object.entries(variants)) (runs[name] ??= []).push(await publishRaw(producer, world.taskTopic, messages, 500));
      for (const [name, r] of Object.entries(runs)) {
        console.log(`${name.padEnd(40)} ${String(round(median(r.map((x) => x.eventsPerSec)))).padStart(7)} events/s  ${round(median(r.map((x) => x.cpuUsPerEvent)), 1)} µs CPU/event`);
      }
    } finally {
      await close();
    }
  } finally {
    await world.cleanup();
    await closeLogs();
  }
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
