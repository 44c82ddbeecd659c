import type { AgentHealth } from '@agentbus/events';
import type { EventBus } from '../eventBus';

export interface PresenceOptions {
  /** Also name the agent's bus `service` after it: the bus reports agent.backpressure under its service name, and the presence record is keyed by agentId. */
  agentId: string;
  agentClass?: string;
  capabilities: string[];
  specializations?: string[];
  /** Tasks the agent can take now; read at every announcement. */
  capacity: () => number;
  /** Fraction of capacity in use, 0..1. */
  load?: () => number;
  status?: () => AgentHealth;
  inFlight?: () => number;
  /** The seed's 30 s by default; monitors derive their failure timeout from it. */
  heartbeatIntervalMs?: number;
  timers?: { setInterval: typeof setInterval; clearInterval: typeof clearInterval };
}

export interface Presence {
  /** Re-announces capabilities and capacity, e.g. after capacity changed. */
  announce(): Promise<void>;
  heartbeat(): Promise<void>;
  /** Stops the heartbeat and says goodbye with agent.offline. */
  stop(reason?: string): Promise<void>;
}

/** The seed's AgentPresenceManager and heartbeat loop: agent.online, agent.heartbeat every interval, agent.offline. */
export const startPresence = async (bus: Pick<EventBus, 'publish'>, options: PresenceOptions): Promise<Presence> => {
  const interval = options.heartbeatIntervalMs ?? 30_000;
  const timers = options.timers ?? { setInterval, clearInterval };
  const source = options.agentId;

  const announce = async () => {
    await bus.publish({
      type: 'agent.online',
      source,
      payload: {
        agentId: options.agentId,
        agentClass: options.agentClass ?? null,
        capabilities: options.capabilities,
        capacity: options.capacity(),
        specializations: options.specializations ?? [],
        heartbeatIntervalMs: interval,
      },
    });
  };
  const heartbeat = async () => {
    await bus.publish({
      type: 'agent.heartbeat',
      source,
      payload: {
        agentId: options.agentId,
        status: options.status?.() ?? 'healthy',
        load: Math.min(1, Math.max(0, options.load?.() ?? 0)),
        memoryUsageBytes: process.memoryUsage().rss,
        inFlight: options.inFlight?.() ?? 0,
      },
    });
  };

  await announce();
  // A missed beat is the monitor's business; a failed publish must not stop the loop.
  const timer = timers.setInterval(() => void heartbeat().catch(() => undefined), interval);
  timer.unref?.();
  let stopped = false;
  return {
    announce,
    heartbeat,
    stop: async (reason = 'shutdown') => {
      if (stopped) return;
      stopped = true;
      timers.clearInterval(timer);
      await bus.publish({ type: 'agent.offline', source, payload: { agentId: options.agentId, reason } });
    },
  };
};
