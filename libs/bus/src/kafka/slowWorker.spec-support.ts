// A worker process for the SIGTERM test: a slow handler, and closeOnSignals wired as a service would.
import { integrationConfig } from '@agentbus/testing';
import { createLogger } from '@agentbus/logger';
import { closeOnSignals } from '../shutdown';
import { createKafkaEventBus } from './createKafkaEventBus';

const main = async () => {
  const logger = createLogger({ name: 'slow-worker', level: 'warn', pretty: false });
  const bus = createKafkaEventBus({
    connection: { ...integrationConfig(), topicPrefix: process.env.TEST_PREFIX! },
    service: 'sigterm',
    logger,
    consumer: { sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 },
  });
  const sub = await bus.subscribe(
    'task.created',
    async (event) => {
      process.stdout.write(`start ${event.id}\n`);
      await new Promise((r) => setTimeout(r, 400));
      process.stdout.write(`done ${event.id}\n`);
    },
    { name: 'slow' },
  );
  closeOnSignals(bus, { logger, deadlineMs: 10_000 });
  await sub.ready();
  process.stdout.write('ready\n');
};

void main();
