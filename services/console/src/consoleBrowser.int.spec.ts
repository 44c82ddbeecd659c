import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startPresence, type Presence } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { createKafka } from '@agentbus/kafka';
import { chromium, type Browser, type Page } from 'playwright-core';
import { passwords, startConsoleStack, until, type ConsoleStack } from './consoleTesting.spec-support';

jest.setTimeout(300_000);

const repoRoot = resolve(__dirname, '..', '..', '..');
const webDir = resolve(__dirname, '..', 'web');
const screenshots = join(repoRoot, '.agentbus', 'console-screenshots');
// Debian's chromium, installed by `npm run deploy:tools`; Playwright's browser download does not work everywhere.
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const xss = '<img src=x onerror="window.pwned=1">';

describe('operator console in a real browser (chromium) against the real services', () => {
  let stack: ConsoleStack;
  let browser: Browser;
  let presence: Presence | undefined;
  let heartbeatsPaused = false;

  beforeAll(async () => {
    if (!existsSync(join(webDir, 'dist', 'index.html'))) {
      const build = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', webDir], { stdio: 'inherit' });
      if (build.status !== 0) throw new Error('vite build of the console web app failed');
    }
    if (!existsSync(chromiumPath)) throw new Error(`no chromium at ${chromiumPath}: run npm run deploy:tools (installs Debian's chromium)`);
    mkdirSync(screenshots, { recursive: true });
    stack = await startConsoleStack('console-web');
    await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await presence?.stop().catch(() => undefined);
    await stack?.stop();
  });

  const launch = async () => {
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  };
  /**
   * Chromium's own process has been seen to exit mid-test on a loaded machine (once in a loaded
   * CI run, with nothing in its log). A page cannot end the browser process, so when it is gone
   * the test is run once more in a new browser; any other failure fails the test as before.
   */
  const inBrowser = (test: (attempt: number) => Promise<void>) => async () => {
    try {
      await test(1);
    } catch (error) {
      if (browser.isConnected()) throw error;
      console.warn(`chromium exited during the test (${(error as Error).message.split('\n')[0]}); relaunched, running the test once more`);
      await launch();
      await test(2);
    }
  };

  const newPage = async (): Promise<Page> => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.on('dialog', (d) => void d.accept());
    return page;
  };
  const logIn = async (page: Page, user: keyof typeof passwords, path = '/') => {
    await page.goto(`${stack.url}${path}`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name=user]', user);
    await page.fill('input[name=password]', passwords[user]);
    await page.click('button[type=submit]');
    await page.getByTestId('who').waitFor();
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });

  it(
    'requires a login: every page goes to the login form, and a wrong password is refused',
    inBrowser(async () => {
      const page = await newPage();
      await page.goto(`${stack.url}/dead-letters`);
      await page.waitForURL(/\/login\?next=%2Fdead-letters/);
      await page.fill('input[name=user]', 'olga');
      await page.fill('input[name=password]', 'wrong');
      await page.click('button[type=submit]');
      await page.getByRole('alert').waitFor();
      expect(await page.getByRole('alert').textContent()).toBe('wrong user or password');
      await shot(page, 'login');
      await page.close();
    }),
  );

  it(
    'renders agent-written text as text: an XSS payload in a task description runs nothing',
    inBrowser(async () => {
      const created = await stack.bus.publish({ type: 'task.created', source: 'did:agent:planner', payload: { taskId: 'xss-task-1', description: xss, priority: 'normal', domain: null, requiredCapability: null, input: null } });
      const page = await newPage();
      await logIn(page, 'victor', `/trace/${created.metadata.correlationId}`);
      await until(async () => (await page.getByTestId('waterfall').count()) === 1 || (await page.reload().then(() => false)), 60_000, 'the task in the trail');
      await page.getByTestId('waterfall').locator('tbody tr').first().click();
      await page.getByTestId('event-detail').getByText('window.pwned', { exact: false }).waitFor();
      expect(await page.getByTestId('event-detail').textContent()).toContain('<img src=x onerror=\\"window.pwned=1\\">');
      expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
      expect(await page.locator('img').count()).toBe(0);
      await shot(page, 'trace');
      await page.close();
    }),
  );

  it(
    'dead letters: a poison record appears; a viewer cannot replay; an operator replays it with a confirmation and it leaves the list',
    inBrowser(async (attempt) => {
      // Keyed per attempt: the list shows the key, and a rerun must find its own record.
      const poisonKey = `${xss} #${attempt}`;
      const kafka = createKafka(parseConfig(connectionSchema, { ...process.env, ...stack.env }).kafka);
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: `${stack.topics.prefix}.task`, messages: [{ key: poisonKey, value: Buffer.from(`poison ${xss}`) }] });
      await producer.disconnect();

      const viewer = await newPage();
      await logIn(viewer, 'victor', '/dead-letters');
      const row = viewer.getByTestId('dead-letters').locator('tbody tr').filter({ hasText: poisonKey });
      await row.waitFor({ timeout: 90_000 });
      expect(await viewer.getByTestId('replay').count()).toBe(0);
      await viewer.getByTestId('viewer-note').waitFor();
      expect((await viewer.request.post(`${stack.url}/api/dead-letters/replay`, { data: { refs: ['0:0'] } })).status()).toBe(403);
      expect(await viewer.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
      await viewer.close();

      const operator = await newPage();
      await logIn(operator, 'olga', '/dead-letters');
      const poison = operator.getByTestId('dead-letters').locator('tbody tr').filter({ hasText: poisonKey });
      await poison.waitFor();
      const ref = await poison.getAttribute('data-ref');
      await poison.locator('td').nth(1).getByRole('button').click();
      await operator.getByTestId('hex').waitFor();
      expect((await operator.getByTestId('hex').textContent())!.replace(/ /g, '')).toBe(Buffer.from(`poison ${xss}`).toString('hex'));
      await shot(operator, 'dead-letters');
      await poison.getByRole('checkbox').check();
      await operator.getByTestId('replay').click();
      await operator.getByTestId('replay-outcome').getByText('re-published 1 source record').waitFor();
      await operator.locator(`tr[data-ref="${ref}"]`).waitFor({ state: 'detached', timeout: 90_000 });
      expect(await operator.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
      await operator.close();
    }),
  );

  it(
    'agents: a silent agent turns red (suspected) and back when it is heard again, on an open page without reload',
    inBrowser(async () => {
      const pausable = {
        setInterval: ((fn: () => void, ms: number) => setInterval(() => heartbeatsPaused || fn(), ms)) as unknown as typeof setInterval,
        clearInterval,
      };
      await presence?.stop().catch(() => undefined);
      heartbeatsPaused = false;
      presence = await startPresence(stack.bus, { agentId: 'worker-red', agentClass: 'worker', capabilities: ['summarise'], capacity: () => 2, heartbeatIntervalMs: 500, timers: pausable });
      const page = await newPage();
      await logIn(page, 'olga', '/agents');
      const row = page.locator('tr[data-agent="worker-red"]');
      await page.locator('tr[data-agent="worker-red"][data-status="online"]').waitFor({ timeout: 60_000 });
      let reloaded = false;
      page.on('framenavigated', () => (reloaded = true));

      heartbeatsPaused = true;
      await page.locator('tr[data-agent="worker-red"][data-status="suspected"]').waitFor({ timeout: 30_000 });
      expect(await row.evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor)).toBe('rgb(253, 226, 225)');
      await shot(page, 'agents-suspected');

      heartbeatsPaused = false;
      await page.locator('tr[data-agent="worker-red"][data-status="online"]').waitFor({ timeout: 30_000 });
      expect(reloaded).toBe(false);
      await page.goto(`${stack.url}/`);
      await page.getByTestId('overview-agents').waitFor();
      await shot(page, 'overview');
      await page.close();
    }),
  );

  // Last: the order agents it starts take task events too, and would dead-letter the other tests' records.
  it(
    'sagas: a declined order shows its failed step and the compensations in reverse, with their agents; its trace is the whole workflow',
    inBrowser(async (attempt) => {
      if (attempt === 1) {
        await stack.spawn('services/saga-orchestrator/src/main.ts', 'saga orchestrator running', { SAGA_AGENT_DIRECTORY: 'presence' });
        await stack.spawn('scripts/demo/orderAgents.ts', 'order agents ready', { ORDER_AGENTS_SUFFIX: 'web', ORDER_AGENTS_DECLINE_ABOVE: '1000', LOG_LEVEL: 'warn' });
      }
      const capabilities = async () => Number((await stack.db.raw(`select count(distinct c) as n from read.presence_agents, unnest(capabilities) c where status = 'online' and c in ('orders', 'inventory', 'payments')`)).rows[0].n);
      await until(async () => (await capabilities()) === 3, 90_000, 'the order agents in the presence read model');
      const sagaId = `order-piano-${Date.now().toString(36)}`;
      await stack.bus.publish({ type: 'workflow.requested', source: 'did:agent:shop', payload: { sagaId, sagaName: 'order', input: JSON.stringify({ orderId: sagaId, items: [{ sku: 'piano', quantity: 1 }], amount: 8000 }), requestedBy: 'did:agent:shop' } });
      await until(async () => (await stack.db.raw(`select status from read.sagas where saga_id = ?`, [sagaId])).rows[0]?.status === 'failed', 120_000, 'the declined saga to end failed');

      const page = await newPage();
      await logIn(page, 'victor', '/sagas');
      await page.getByRole('link', { name: sagaId }).click();
      await page.getByTestId('failed-step').waitFor();
      expect(await page.getByTestId('failed-step').textContent()).toMatch(/failed at process-payment: .*declined/);
      const undo = page.getByTestId('timeline').locator('tbody tr[data-phase="compensation"]');
      await until(async () => (await undo.count()) >= 2, 30_000, 'both compensations on the page');
      const undone = await undo.evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
      const steps = [...new Set(undone.map((cells) => cells[2]))];
      expect(steps).toEqual(['reserve-inventory (undo)', 'create-order (undo)']);
      expect(undone.filter((cells) => cells[2] === 'reserve-inventory (undo)').some((cells) => cells[3] === 'stock-web')).toBe(true);
      expect(undone.filter((cells) => cells[2] === 'create-order (undo)').some((cells) => cells[3] === 'orders-web')).toBe(true);
      await shot(page, 'saga-declined');

      await page.getByRole('link', { name: /^[0-9A-Z]{26}$/ }).first().click();
      await page.getByTestId('waterfall').waitFor();
      const types = await page.getByTestId('waterfall').locator('tbody tr td:first-child').allTextContents();
      for (const type of ['workflow.requested', 'saga.started', 'task.assigned', 'task.completed', 'task.failed', 'saga.compensating', 'saga.failed']) expect(types).toContain(type);
      await shot(page, 'saga-trace');
      await page.close();
    }),
  );
});
