import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { AgentEvent } from '@agentbus/events';
import { groupCaughtUp } from '@agentbus/testing';
import { eventually } from '../testing';
import { kafkaWorld } from './kafkaWorld.spec-support';

const repoRoot = join(__dirname, '..', '..', '..', '..');

describe('SIGTERM', () => {
  let world: Awaited<ReturnType<typeof kafkaWorld>>;
  beforeEach(async () => {
    world = await kafkaWorld('sigterm');
  });
  afterEach(() => world.cleanup());

  it('stops fetching, finishes the in-flight handler, commits and exits 0; a new instance continues without repeats', async () => {
    const bus = await world.bus('sigterm');
    // The loader, not the tsx CLI, so the signal reaches the worker itself rather than a wrapper.
    const child = spawn(process.execPath, ['--import', join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs'), join(__dirname, 'slowWorker.spec-support.ts')], {
      env: { ...process.env, TSX_TSCONFIG_PATH: join(repoRoot, 'tsconfig.json'), TEST_PREFIX: world.topics.prefix },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await eventually(() => out, (o) => o.includes('ready'), 60_000, 'the worker to join');

    const published = await bus.publishMany(
      Array.from({ length: 6 }, (_, i) => ({ type: 'task.created', source: 'test', payload: { taskId: 'one-key', description: `n${i}`, priority: 'normal' } })),
    );
    await eventually(() => out, (o) => o.includes('start'), 30_000, 'a handler to start');
    child.kill('SIGTERM');
    const code = await exited;

    const lines = out.trim().split('\n');
    const started = lines.filter((l) => l.startsWith('start ')).map((l) => l.slice(6));
    const done = lines.filter((l) => l.startsWith('done ')).map((l) => l.slice(5));
    expect(code).toBe(0);
    expect(done).toEqual(started);
    expect(done.length).toBeLessThan(6);

    const rest: AgentEvent[] = [];
    await bus.subscribe('task.created', (e) => void rest.push(e), { name: 'slow' });
    await eventually(() => rest.length, (n) => n >= 6 - done.length, 30_000, 'the remaining events');
    await eventually(() => groupCaughtUp(world.topics.kafka, `${world.topics.prefix}.sigterm.slow`, `${world.topics.prefix}.task`), (caughtUp) => caughtUp, 30_000, 'the new instance to commit to the end');
    expect([...done, ...rest.map((e) => e.id)].sort()).toEqual(published.map((e) => e.id).sort());
  });
});
