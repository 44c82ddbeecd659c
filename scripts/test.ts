// `npm test`: schema checks, lint, type check, unit tests, then integration tests against the real broker,
// registry and Postgres; the unit tests and one end-to-end integration test again on the pinned LTS
// Node. Infrastructure that was not running is started first and stopped after (AGENTBUS_KEEP_INFRA=1
// keeps it up for the next run). AGENTBUS_TEST_LOAD=1 keeps one core busy (stress-ng) during the
// integration tests. `npm test -- int [jest paths]` runs only the integration part, on those files.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { startCpuLoad } from './cpuLoad';
import { down, status, up } from './infra/infra';
import { loadInfraSettings } from './infra/settings';
import { ensureLtsNode, ltsNode, nodeVersion } from './node/ltsNode';

const jest = join(__dirname, '..', 'node_modules', 'jest', 'bin', 'jest.js');
// The integration test that runs on the LTS Node too: Kafka, the registry, the projector and Postgres, end to end.
const endToEndTest = 'services/projector/src/projector.int.spec.ts';

const step = (name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): number => {
  const started = Date.now();
  console.log(`\n▶ ${name}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, NX_DAEMON: 'false', ...env } });
  const code = result.status ?? 1;
  console.log(`${code === 0 ? '✔' : '✘'} ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  return code;
};

/** Runs jest on the pinned LTS node, first on PATH so whatever the tests spawn runs on it too. */
const onLtsNode = (name: string, node: string, args: string[]): number =>
  step(`${name} on Node ${nodeVersion(node)}`, node, [jest, ...args], { PATH: `${dirname(node)}:${process.env.PATH}` });

const main = async (): Promise<number> => {
  const started = Date.now();
  const only = process.argv[2];
  const lts = only === 'int' ? undefined : ensureLtsNode();
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
    if (!lts) console.log(`\n(no Node ${ltsNode.release} build for ${process.platform}-${process.arch}: the tests ran on ${process.version} only)`);
    else if (onLtsNode('unit tests', lts, ['--selectProjects', 'unit']) !== 0) return 1;
    if (only === 'unit') return 0;
  }
  const settings = loadInfraSettings();
  const wasReady = (await status(settings)).every((r) => r.ready);
  if (!wasReady) {
    console.log('\n▶ infrastructure: starting what is not running');
    await up(settings, undefined, (r) => console.log(`  ✔ ${r.part} ready in ${r.seconds?.toFixed(1)}s (${r.state?.mode})`));
  }
  const load = process.env.AGENTBUS_TEST_LOAD === '1' ? startCpuLoad(1) : undefined;
  if (load) console.log('\n▶ load mode: stress-ng --cpu 1 keeps one core busy until the integration tests end');
  let code: number;
  try {
    code = step('integration tests', 'npm', ['run', '--silent', 'test:int', '--', ...(only === 'int' ? process.argv.slice(3) : [])]);
    if (code === 0 && lts) code = onLtsNode('end-to-end integration test', lts, ['--selectProjects', 'int', '--runInBand', endToEndTest]);
  } finally {
    load?.stop();
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
