// The load mode of `npm test` (AGENTBUS_TEST_LOAD=1): stress-ng keeps cores busy while the
// integration tests run, so waits that assume a quiet machine show up here rather than on CI.
import { spawn } from 'node:child_process';
import { findStressNg, missingToolMessage } from './deploy/tools';

export interface CpuLoad {
  stop(): void;
}

/**
 * Starts `stress-ng --cpu <cores>`. A shell watchdog ends it when this process is gone, even if
 * it was killed before `stop` could run.
 */
export const startCpuLoad = (cores = 1): CpuLoad => {
  const stressNg = findStressNg();
  if (!stressNg) throw new Error(missingToolMessage('stress-ng'));
  const watchdog = `${stressNg} --cpu ${cores} --quiet & load=$!; trap 'kill $load 2>/dev/null; exit 0' TERM INT; while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill $load`;
  const child = spawn('sh', ['-c', watchdog], { stdio: 'ignore', detached: true });
  const stop = () => {
    if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGTERM');
  };
  process.once('exit', stop);
  return {
    stop: () => {
      stop();
      process.removeListener('exit', stop);
    },
  };
};
