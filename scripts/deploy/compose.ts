// `docker-compose config` on infra/compose: the file as Compose itself reads it, anchors, defaults,
// override files and profiles resolved.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from './manifests';
import { findCompose, missingToolMessage } from './tools';

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: (string | { type: string; source: string; target: string })[];
  profiles?: string[];
  restart?: string;
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export const composeFile = join(repoRoot, 'infra', 'compose', 'docker-compose.yml');

export const composeConfig = (files: string[], env: Record<string, string> = {}): ComposeFile => {
  const compose = findCompose();
  if (!compose) throw new Error(missingToolMessage('docker-compose'));
  const [command, ...lead] = compose;
  const result = spawnSync(command!, [...lead, ...files.flatMap((f) => ['-f', f]), '--profile', 'demo', 'config'], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  if (result.status !== 0) throw new Error(`${compose.join(' ')} config failed: ${result.stderr || result.error?.message}`);
  return parse(result.stdout) as ComposeFile;
};
