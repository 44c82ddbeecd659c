// `nx run <service>:build`: one self-contained file per service, dist/services/<name>/main.js, so an
// image needs node, that file and schemas/, and no node_modules.
import { build } from 'esbuild';
import { join, resolve } from 'node:path';

const repoRoot = resolve(__dirname, '..', '..');

// Dialects and native bindings that knex and pg load only when asked for; agentbus never asks.
const neverLoaded = ['pg-native', 'mysql', 'mysql2', 'sqlite3', 'better-sqlite3', 'tedious', 'oracledb', 'pg-query-stream'];
// pino starts a transport in a worker thread by module name, which a bundle cannot serve; images log
// JSON (LOG_FORMAT=json), so the pretty transport is never started there.
const workerTransports = ['pino-pretty'];

/** A service's src/main.ts, or the compose demo agents, which are no service of their own. */
export const bundleEntry = (name: string): { entry: string; outfile: string } =>
  name === 'demo-agents'
    ? { entry: join(repoRoot, 'scripts', 'deploy', 'demoAgents.ts'), outfile: join(repoRoot, 'dist', 'demo-agents', 'main.js') }
    : { entry: join(repoRoot, 'services', name, 'src', 'main.ts'), outfile: join(repoRoot, 'dist', 'services', name, 'main.js') };

export const bundleService = async (name: string): Promise<string> => {
  const { entry, outfile } = bundleEntry(name);
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    minifySyntax: true,
    legalComments: 'linked',
    tsconfig: join(repoRoot, 'tsconfig.json'),
    external: [...neverLoaded, ...workerTransports],
    logLevel: 'warning',
    metafile: true,
  });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  return `${outfile} (${(bytes / 1024 / 1024).toFixed(1)} MB with its source map)`;
};

if (require.main === module) {
  const name = process.argv[2];
  if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) {
    process.stderr.write('usage: tsx scripts/deploy/bundle.ts <service>   (a folder under services/, or demo-agents)\n');
    process.exit(2);
  }
  bundleService(name).then(
    (line) => console.log(`built ${line}`),
    (error: Error) => {
      process.stderr.write(`build of ${name} failed: ${error.message}\n`);
      process.exit(1);
    },
  );
}
