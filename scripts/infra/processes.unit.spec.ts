import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isAlive } from './processes';

const state = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.charAt(stat.lastIndexOf(')') + 2);
};

describe('isAlive', () => {
  it('is true for a running process and false for one killed but not yet reaped by its parent', () => {
    const child = spawn('sleep', ['30']);
    const pid = child.pid!;
    expect(isAlive(pid)).toBe(true);
    process.kill(pid, 'SIGKILL');
    // Synchronously, so this process cannot reap the child: it stays a zombie, as a broker does
    // under `npm test`, whose process blocks in spawnSync while jest runs.
    const deadline = Date.now() + 10_000;
    while (state(pid) !== 'Z' && Date.now() < deadline);
    expect(state(pid)).toBe('Z');
    expect(isAlive(pid)).toBe(false);
  });

  it('is false for no pid', () => {
    expect(isAlive(undefined)).toBe(false);
  });
});
