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
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number; start_period?: string };
  volumes?: (string | { type: string; source: string; target: string })[];
  profiles?: string[];
  restart?: string;
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export const composeFile = join(repoRoot, 'infra', 'compose', 'docker-compose.yml');

const durationUnits: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };

/** A compose duration as `config` prints it ("1m30s", "90s", "500ms") in milliseconds. */
export const composeDurationMs = (duration: string): number => {
  const parts = [...duration.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== duration) throw new Error(`not a compose duration: ${JSON.stringify(duration)}`);
  return parts.reduce((total, [, value, unit]) => total + Number(value) * durationUnits[unit!]!, 0);
};

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
