// `npm run bench`: publish and consume throughput of the bus against raw kafkajs and Kafka's own
// producer benchmark. The harness lives in scripts/bench (the tooling project); see bench/README.md.
import { main } from '../scripts/bench/main';

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
