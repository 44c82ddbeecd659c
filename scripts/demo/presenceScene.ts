// The presence part of `npm run demo`: the presence monitor as its own process, and one agent
// process that is SIGKILLed, suspected, restarted and recovered.
import { presenceDirectory, type EventBus } from '@agentbus/bus';
import type { AgentEvent, AgentRecoveredPayload, AgentSuspectedFailurePayload } from '@agentbus/events';
import { spawnService, type ServiceProcess } from '@agentbus/testing';

const sentinel = 'sentinel-1';
const sentinelClass = 'demo-sentinel';
const sentinelTimeoutMs = 2500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const waitFor = async (probe: () => boolean, timeoutMs: number, what: () => string): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(50);
  }
};

export interface PresenceMonitorProcess {
  process: ServiceProcess;
  url: string;
}

/** Like the projector: its own process, found by the line it logs when ready. */
export const startPresenceMonitor = async (say: (line: string) => void): Promise<PresenceMonitorProcess> => {
  const process = spawnService('services/presence-monitor/src/main.ts', {
    PRESENCE_MONITOR_HTTP_PORT: '0',
    PRESENCE_MONITOR_ID: 'presence-monitor-demo',
    // Agents of the demo class are judged after 2.5 s of silence; everyone else after the default 90 s.
    PRESENCE_CLASS_TIMEOUTS: `${sentinelClass}=${sentinelTimeoutMs}`,
    PRESENCE_TICK_MS: '100',
    LOG_LEVEL: 'info',
  });
  await waitFor(() => process.output().includes('presence monitor running') || process.child.exitCode !== null, 60_000, () => 'the presence monitor to start');
  if (process.child.exitCode !== null) throw new Error(`the presence monitor did not start:\n${process.output().slice(-2000)}`);
  const port = /"port":(\d+)[^\n]*health and metrics endpoints listening/.exec(process.output())?.[1];
  say(`service  presence-monitor running (pid ${process.child.pid}): heartbeats → presence.agents, failure detection, GET /agents on :${port}`);
  return { process, url: `http://127.0.0.1:${port}` };
};

const startSentinel = async (): Promise<ServiceProcess> => {
  const agent = spawnService('scripts/demo/presenceAgent.ts', {
    PRESENCE_AGENT_ID: sentinel,
    PRESENCE_AGENT_CLASS: sentinelClass,
    PRESENCE_AGENT_CAPABILITIES: 'summarise',
    PRESENCE_AGENT_LOAD: '0.5',
    PRESENCE_AGENT_HEARTBEAT_MS: '500',
  });
  await waitFor(() => agent.output().includes('online (pid') || agent.child.exitCode !== null, 60_000, () => `${sentinel} to start`);
  if (agent.child.exitCode !== null) throw new Error(`${sentinel} did not start:\n${agent.output().slice(-2000)}`);
  return agent;
};

/**
 * Kills the sentinel agent without a goodbye, waits for the monitor's agent.suspected_failure,
 * restarts it, waits for agent.recovered, then lets it leave cleanly. Returns summary lines.
 */
export const presenceScene = async (bus: EventBus, monitor: PresenceMonitorProcess, say: (line: string) => void): Promise<string[]> => {
  const verdicts: AgentEvent[] = [];
  const sub = await bus.subscribe('agent.#', (e) => {
    if ((e.type === 'agent.suspected_failure' || e.type === 'agent.recovered') && (e.payload as { agentId: string }).agentId === sentinel) verdicts.push(e);
  }, { name: 'presence-scene', mode: 'broadcast' });
  await sub.ready();
  const first = await startSentinel();
  say(`presence ${sentinel} started as its own process (pid ${first.child.pid}), heartbeat every 0.5 s, timeout ${sentinelTimeoutMs / 1000} s`);
  await sleep(1500);
  await first.kill('SIGKILL');
  const killedAt = Date.now();
  say(`presence SIGKILL ${sentinel} (pid ${first.child.pid}): no goodbye, its heartbeats just stop`);
  await waitFor(() => verdicts.some((e) => e.type === 'agent.suspected_failure'), sentinelTimeoutMs + 10_000, () => `agent.suspected_failure for ${sentinel}`);
  const suspected = verdicts.find((e) => e.type === 'agent.suspected_failure')!;
  const s = suspected.payload as AgentSuspectedFailurePayload;
  say(`presence agent.suspected_failure ${sentinel}: ${Date.now() - killedAt} ms after the kill, last seen ${new Date(s.lastSeen).toISOString().slice(11, 23)}, last load ${s.lastLoad}, by ${s.detectedBy}`);

  const second = await startSentinel();
  say(`presence ${sentinel} restarted (pid ${second.child.pid})`);
  await waitFor(() => verdicts.some((e) => e.type === 'agent.recovered'), 15_000, () => `agent.recovered for ${sentinel}`);
  const recovered = verdicts.find((e) => e.type === 'agent.recovered')!.payload as AgentRecoveredPayload;
  say(`presence agent.recovered ${sentinel}: outage ${(recovered.outageMs / 1000).toFixed(1)} s`);

  const capable = await presenceDirectory(monitor.url).findCapableAgents('summarise');
  await second.kill('SIGTERM');
  await sub.unsubscribe();
  const suspicions = verdicts.filter((e) => e.type === 'agent.suspected_failure').length;
  return [
    `  ${`${sentinel} killed, then restarted`.padEnd(35)}: suspected ${suspicions} time(s), ${((suspected.timestamp - killedAt) / 1000).toFixed(1)} s after the SIGKILL; recovered, outage ${(recovered.outageMs / 1000).toFixed(1)} s`,
    `  ${'discovery (GET /agents summarise)'.padEnd(35)}: ${capable.map((a) => `${a.agentId} load=${a.load.toFixed(2)} spare=${a.spareCapacity}`).join(', ') || 'none'}`,
  ];
};
