// Binds rendered manifests into the model classes of the operators that read them: Strimzi's
// io.strimzi:api and fabric8's Kubernetes model (infra/k8s/validate), which also catches unknown fields.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const validatorDir = resolve(__dirname, '..', '..', 'infra', 'k8s', 'validate');
let operatorClasspath: string | undefined;

/**
 * The jars of infra/k8s/validate/pom.xml from the local Maven repository. `offline` (the tests) never
 * reaches the network: `npm run deploy:tools` fetched them from Maven Central beforehand.
 */
export const validatorClasspath = (options: { offline: boolean }): string => {
  if (operatorClasspath) return operatorClasspath;
  const dir = mkdtempSync(join(tmpdir(), 'agentbus-cp-'));
  try {
    const out = join(dir, 'classpath');
    const args = ['-q', '-B', ...(options.offline ? ['-o'] : []), '-f', join(validatorDir, 'pom.xml'), 'dependency:build-classpath', `-Dmdep.outputFile=${out}`];
    const result = spawnSync('mvn', args, { encoding: 'utf8' });
    if (result.status !== 0) {
      const why = `${result.stdout}${result.stderr || result.error?.message || ''}`.trim().split('\n').slice(0, 3).join(' ');
      throw new Error(`mvn dependency:build-classpath${options.offline ? ' (offline)' : ''} failed${options.offline ? `: run \`npm run deploy:tools\` first, which fetches Strimzi's API model` : ''}: ${why}`);
    }
    operatorClasspath = readFileSync(out, 'utf8').trim();
    return operatorClasspath;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/** Problems found binding the rendered YAML into Strimzi's and fabric8's model classes (unknown fields too). */
export const operatorModelProblems = (renderedYaml: string): { problems: string[]; summary: string } => {
  const result = spawnSync('java', ['-cp', validatorClasspath({ offline: true }), join(validatorDir, 'StrimziValidator.java')], { input: renderedYaml, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const lines = result.stdout.trim().split('\n').filter(Boolean);
  const summary = lines.pop() ?? '';
  if (!/^checked \d+ objects/.test(summary)) throw new Error(`StrimziValidator did not run: ${result.stderr || result.error?.message}`);
  return { problems: lines, summary };
};
