import { describeEventBusContract } from '../testing';
import { kafkaWorld } from './kafkaWorld.spec-support';

describeEventBusContract('kafka', async () => {
  const world = await kafkaWorld('contract');
  return {
    bus: () => world.bus(),
    deadLetters: async () => (await world.deadLetters.list()).map((d) => ({ eventId: d.event?.id, code: d.code, reason: d.reason })),
    cleanup: world.cleanup,
    timeoutMs: 30_000,
  };
});
