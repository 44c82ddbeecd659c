import { loadPresenceMonitorConfig } from './config';

describe('presence monitor configuration', () => {
  it('defaults to port 9403, a 90 s timeout and no class timeouts', () => {
    const config = loadPresenceMonitorConfig({});
    expect(config).toMatchObject({ httpPort: 9403, consumer: 'presence-monitor', timeoutMs: 90_000, classTimeouts: {}, tickMs: 250 });
    expect(config.monitorId).toMatch(/^presence-monitor@/);
  });

  it('reads per-class timeouts', () => {
    expect(loadPresenceMonitorConfig({ PRESENCE_CLASS_TIMEOUTS: 'summariser=30000,planner=120000' }).classTimeouts).toEqual({ summariser: 30_000, planner: 120_000 });
  });

  it.each([
    ['PRESENCE_CLASS_TIMEOUTS', 'summariser=30s'],
    ['PRESENCE_TIMEOUT_MS', 'soon'],
    ['PRESENCE_MONITOR_HTTP_PORT', '70000'],
    ['PRESENCE_MONITOR_SESSION_TIMEOUT_MS', '1000'],
  ])('names %s when it is invalid', (variable, value) => {
    expect(() => loadPresenceMonitorConfig({ [variable]: value })).toThrow(new RegExp(`${variable}: `));
  });
});
