// `npm test`: schema checks, lint, type check, unit tests, then integration tests against the real broker,
// registry and Postgres. Infrastructure that was not running is started first and stopped after
// (AGENTBUS_KEEP_INFRA=1 keeps it up for the next run).
import { spawnSync } from 'node:child_process';
import { down, status, up } from './infra/infra';
import { loadInfraSettings } from './infra/settings';

const step = (name: string, command: string, args: string[]): number => {
  const started = Date.now();
  console.log(`\n▶ ${name}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, NX_DAEMON: 'false' } });
  const code = result.status ?? 1;
  console.log(`${code === 0 ? '✔' : '✘'} ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  return code;
};

const main = async (): Promise<number> => {
  const started = Date.now();
  const only = process.argv[2];
  if (only !== 'int') {
    for (const [name, script] of [
      // kubectl and docker-compose for the deployment checks in the unit tests; installs what is missing.
      ['deployment tools', 'deploy:tools'],
      ['schemas', 'schemas:check'],
      ['lint', 'lint'],
      ['type check', 'typecheck'],
      ['unit tests', 'test:unit'],
    ] as const) {
      if (step(name, 'npm', ['run', '--silent', script]) !== 0) return 1;
    }
    if (only === 'unit') return 0;
  }
  const settings = loadInfraSettings();
  const wasReady = (await status(settings)).every((r) => r.ready);
  if (!wasReady) {
    console.log('\n▶ infrastructure: starting what is not running');
    await up(settings, undefined, (r) => console.log(`  ✔ ${r.part} ready in ${r.seconds?.toFixed(1)}s (${r.state?.mode})`));
  }
  let code: number;
  try {
    code = step('integration tests', 'npm', ['run', '--silent', 'test:int']);
  } finally {
    if (!wasReady && process.env.AGENTBUS_KEEP_INFRA !== '1') {
      const stopped = await down(settings);
      console.log(`\n▶ infrastructure: stopped ${stopped.join(', ') || 'nothing'} (started for this run)`);
    }
  }
  console.log(`\n${code === 0 ? '✔ all checks passed' : '✘ integration tests failed'} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return code;
};

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`✘ ${error.message}`);
    process.exit(1);
  },
);
