// `npm run bench`: publish and consume throughput of the bus against raw kafkajs and Kafka's own
// producer benchmark. The harness lives in scripts/bench (the tooling project); see bench/README.md.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../scripts/bench/main';
import { ensureLtsNode, ltsNode } from '../scripts/node/ltsNode';

// Figures are taken on the Node line the images ship (node:24-alpine), fetched like `npm test`
// fetches it: an older node (this machine's 20, past its end of life) would measure a runtime
// nobody deploys. AGENTBUS_BENCH_NODE=current measures on the node that started the bench.
const onShippedNode = (): number | undefined => {
  if (process.env.AGENTBUS_BENCH_NODE === 'current' || Number(process.versions.node.split('.')[0]) >= ltsNode.major) return undefined;
  const node = ensureLtsNode((line) => console.error(line));
  if (!node) return undefined;
  const tsx = join(__dirname, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');
  return spawnSync(node, [tsx, __filename, ...process.argv.slice(2)], { stdio: 'inherit' }).status ?? 1;
};

const status = onShippedNode();
if (status !== undefined) process.exit(status);

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
