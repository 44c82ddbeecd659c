// One agent as its own process, heard only through the presence helper: agent.online, a heartbeat
// every PRESENCE_AGENT_HEARTBEAT_MS, agent.offline on SIGTERM. The demo and the presence
// monitor's fault tests SIGKILL it to cause a real, unannounced failure.
import { z } from 'zod';
import { closeOnSignals, createKafkaEventBus, startPresence } from '@agentbus/bus';
import { connectionSchema, parseConfigOrExit, parseConfigs } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';

const list = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));
const agentSchema = z.object({
  PRESENCE_AGENT_ID: z.string().min(1),
  PRESENCE_AGENT_CLASS: z.string().min(1).optional(),
  PRESENCE_AGENT_CAPABILITIES: list,
  PRESENCE_AGENT_SPECIALIZATIONS: list.default([]),
  PRESENCE_AGENT_CAPACITY: z.coerce.number().int().min(0).default(4),
  PRESENCE_AGENT_LOAD: z.coerce.number().min(0).max(1).default(0),
  PRESENCE_AGENT_IN_FLIGHT: z.coerce.number().int().min(0).default(0),
  PRESENCE_AGENT_HEARTBEAT_MS: z.coerce.number().int().min(50).default(1000),
});

const main = async (): Promise<void> => {
  const { own, connection } = parseConfigOrExit(() => parseConfigs({ own: agentSchema, connection: connectionSchema }));
  const logger = createLogger({ name: own.PRESENCE_AGENT_ID, level: process.env.LOG_LEVEL ?? 'warn' });
  // The bus is named after the agent so its agent.backpressure events land in this agent's presence record.
  const bus = createKafkaEventBus({ connection, service: own.PRESENCE_AGENT_ID, logger });
  const presence = await startPresence(bus, {
    agentId: own.PRESENCE_AGENT_ID,
    agentClass: own.PRESENCE_AGENT_CLASS,
    capabilities: own.PRESENCE_AGENT_CAPABILITIES,
    specializations: own.PRESENCE_AGENT_SPECIALIZATIONS,
    capacity: () => own.PRESENCE_AGENT_CAPACITY,
    load: () => own.PRESENCE_AGENT_LOAD,
    inFlight: () => own.PRESENCE_AGENT_IN_FLIGHT,
    heartbeatIntervalMs: own.PRESENCE_AGENT_HEARTBEAT_MS,
  });
  await presence.heartbeat();
  process.stdout.write(`presence agent ${own.PRESENCE_AGENT_ID} online (pid ${process.pid})\n`);
  closeOnSignals({ close: async () => { await presence.stop('SIGTERM'); await bus.close(); } }, { logger });
};

main().catch((error: unknown) => {
  process.stderr.write(`presence agent failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
