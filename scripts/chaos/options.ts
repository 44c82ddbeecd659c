import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { ChaosOptions } from './chaosRun';

export const usage = `Usage: npm run chaos -- [options]

Runs task lifecycles and order sagas through the four services while it SIGKILLs each service at
random times, SIGKILLs and restarts the Kafka broker and restarts Postgres; then waits for catch-up
and checks the event store, the read models, the sagas, the audit trail and presence. Prints a
report; exits 1 on any difference. Needs the local infrastructure (npm run infra -- up).

  --events N             workload events to publish (default 100000)
  --minutes M            length of the fault window; the workload is paced over it (default 10)
  --kills K              SIGKILLs of each service (default 20)
  --broker-restarts B    Kafka broker SIGKILLs, each followed by a restart (default 2)
  --postgres-restarts P  Postgres restarts (default 2)
  --seed S               seed of the fault times; the report prints it to reproduce a run (default: random)
  --catch-up-minutes C   how long catch-up may take after the last fault (default 10)
  --keep                 keep the run's topics and database (kept anyway when a check fails)
  -h, --help             this text`;

const count = (min: number) => z.coerce.number({ error: 'expected a number' }).int('expected a whole number').min(min, `expected at least ${min}`);

const optionsSchema = z.object({
  events: count(100).default(100_000),
  minutes: z.coerce.number({ error: 'expected a number' }).positive('expected more than 0').max(24 * 60).default(10),
  kills: count(0).default(20),
  'broker-restarts': count(0).default(2),
  'postgres-restarts': count(0).default(2),
  seed: count(0).max(2 ** 32 - 1).optional(),
  'catch-up-minutes': z.coerce.number({ error: 'expected a number' }).positive('expected more than 0').default(10),
  keep: z.boolean().default(false),
});

export class ChaosUsageError extends Error {}

/** Parses the command line; a bad value stops with the option named. */
export const parseChaosOptions = (argv: string[], randomSeed: () => number): ChaosOptions | 'help' => {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        events: { type: 'string' },
        minutes: { type: 'string' },
        kills: { type: 'string' },
        'broker-restarts': { type: 'string' },
        'postgres-restarts': { type: 'string' },
        seed: { type: 'string' },
        'catch-up-minutes': { type: 'string' },
        keep: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new ChaosUsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const parsed = optionsSchema.safeParse(values);
  if (!parsed.success) {
    throw new ChaosUsageError(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message} (got ${JSON.stringify(values[String(i.path[0])])})`).join('; '));
  }
  const o = parsed.data;
  return {
    events: o.events,
    minutes: o.minutes,
    killsPerService: o.kills,
    brokerRestarts: o['broker-restarts'],
    postgresRestarts: o['postgres-restarts'],
    seed: o.seed ?? randomSeed(),
    catchUpMinutes: o['catch-up-minutes'],
    keep: o.keep,
  };
};
