import { join, resolve } from 'node:path';
import { userEntry } from './auth/users';
import { defaultWebDir, loadConsoleConfig } from './config';

const repoRoot = resolve(__dirname, '..', '..', '..');
const builtWebApp = join(repoRoot, 'services', 'console', 'web', 'dist');
const logins = { CONSOLE_USERS: userEntry('olga', 'operator', 'pw'), CONSOLE_SESSION_SECRET: 's'.repeat(32) };

describe('console configuration', () => {
  it('defaults to port 9405 and the web app built in the checkout', () => {
    expect(loadConsoleConfig(logins)).toMatchObject({ httpPort: 9405, webDir: builtWebApp, cookieSecure: false, liveIntervalMs: 1000 });
  });

  it('finds the same web app from the sources and from their bundle (dist/services/console/main.js)', () => {
    expect(defaultWebDir(join(repoRoot, 'services', 'console', 'src'))).toBe(builtWebApp);
    expect(defaultWebDir(join(repoRoot, 'dist', 'services', 'console'))).toBe(builtWebApp);
  });

  it('serves the web app from CONSOLE_WEB_DIR when it is set, as the image sets it', () => {
    expect(loadConsoleConfig({ ...logins, CONSOLE_WEB_DIR: '/app/web' }).webDir).toBe('/app/web');
  });

  it.each([
    ['CONSOLE_USERS', { CONSOLE_SESSION_SECRET: logins.CONSOLE_SESSION_SECRET }],
    ['CONSOLE_SESSION_SECRET', { CONSOLE_USERS: logins.CONSOLE_USERS }],
    ['CONSOLE_SESSION_SECRET', { ...logins, CONSOLE_SESSION_SECRET: 'short' }],
    ['CONSOLE_WEB_DIR', { ...logins, CONSOLE_WEB_DIR: '' }],
  ])('names %s when it is missing or invalid', (variable, env) => {
    expect(() => loadConsoleConfig(env)).toThrow(new RegExp(`${variable}`));
  });
});
