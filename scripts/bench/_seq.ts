import { createKafkaEventBus } from '@agentbus/bus';
import { generateSigningKey } from '@agentbus/identity';
import { publishThroughBus } from './publish';
import { benchLogger, benchWorld, config } from './world';
import { taskCreatedInputs } from './workload';
void (async () => {
  const log = benchLogger('bench.log');
  const world = await benchWorld('seq', log);
  const inputs = taskCreatedInputs(Number(process.env.EVENTS ?? 60_000), 'seq');
  const unsigned = await world.bus();
  const signed = createKafkaEventBus({ connection: { ...config, topicPrefix: world.prefix }, service: 'bench-signed', logger: log, signingKey: generateSigningKey() });
  await unsigned.publishMany(inputs.slice(0, 500));
  await signed.publishMany(inputs.slice(0, 500));
  const out: string[] = [];
  for (const step of (process.argv[2] ?? 'u,s').split(',')) {
    const c = process.cpuUsage();
    const r = await publishThroughBus(step === 's' ? signed : unsigned, inputs, 500);
    const d = process.cpuUsage(c);
    out.push(`${step}:${r.cpuUsPerEvent.toFixed(0)}(u${(d.user / inputs.length).toFixed(0)} s${(d.system / inputs.length).toFixed(0)})`);
  }
  console.log(out.join(' '));
  await signed.close({ deadlineMs: 5000 });
  await world.cleanup(); process.exit(0);
})();
