import { AgentbusError } from '@agentbus/events';
import type { DetectorPolicy } from './agentPresence';

/** The seed's AgentMonitor default. */
export const defaultFailureTimeoutMs = 90_000;

export interface TimeoutPolicyOptions {
  monitorId: string;
  defaultTimeoutMs?: number;
  /** Per agent class (agent.online's agentClass), e.g. { summariser: 30_000 }. */
  byClass?: Readonly<Record<string, number>>;
}

export const timeoutPolicy = ({ monitorId, defaultTimeoutMs = defaultFailureTimeoutMs, byClass = {} }: TimeoutPolicyOptions): DetectorPolicy => {
  const classes = new Map(Object.entries(byClass));
  return { monitorId, timeoutFor: (agentClass) => (agentClass === null ? undefined : classes.get(agentClass)) ?? defaultTimeoutMs };
};

/** Parses `class=ms,class=ms` (e.g. `summariser=30000,planner=120000`); errors name the entry. */
export const parseClassTimeouts = (text: string): Record<string, number> => {
  const timeouts: Record<string, number> = {};
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const match = /^([A-Za-z0-9_.:-]+)=(\d+)$/.exec(entry);
    const ms = match ? Number(match[2]) : NaN;
    if (!match || !Number.isSafeInteger(ms) || ms < 100) {
      throw new AgentbusError('INVALID_CLASS_TIMEOUT', `"${entry}" is not class=milliseconds with at least 100 ms`, { context: { entry } });
    }
    timeouts[match[1]!] = ms;
  }
  return timeouts;
};
