// `npm run chaos`: a fault-injection run any user can start against the local infrastructure.
import { randomInt } from 'node:crypto';
import { runChaos } from './chaosRun';
import { ChaosUsageError, parseChaosOptions, usage } from './options';
import { differencesIn, renderReport } from './report';

const main = async (): Promise<number> => {
  const options = parseChaosOptions(process.argv.slice(2), () => randomInt(2 ** 31));
  if (options === 'help') {
    console.log(usage);
    return 0;
  }
  const t0 = Date.now();
  const report = await runChaos(options, (line) => console.log(`${`+${((Date.now() - t0) / 1000).toFixed(0)}s`.padStart(6)}  ${line}`));
  console.log(`\n${renderReport(report)}`);
  return differencesIn(report) === 0 ? 0 : 1;
};

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error instanceof ChaosUsageError ? `chaos: ${error.message}\n\n${usage}` : `chaos run failed: ${error.stack ?? error.message}`);
    process.exit(error instanceof ChaosUsageError ? 2 : 1);
  },
);
