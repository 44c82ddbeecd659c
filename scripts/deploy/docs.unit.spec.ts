import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployedServices } from './deployedServices';
import { repoRoot } from './manifests';

const guide = readFileSync(join(repoRoot, 'docs', 'deploy.md'), 'utf8');
// The README's Deployment section; the rest of the README is other guides' business.
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8').split('\n## Deployment\n')[1]?.split('\n## ')[0] ?? '';
const packageScripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

describe('docs/deploy.md and the README', () => {
  it('name only files and folders that exist', () => {
    expect(readme).toContain('docs/deploy.md');
    const paths = [...`${guide}\n${readme}`.matchAll(/(?<![\w/.-])((?:infra|services|scripts|docs)\/[\w./-]*[\w/])/g)].map((m) => m[1]!.replace(/\/$/, ''));
    expect(paths.length).toBeGreaterThan(10);
    const concrete = paths.filter((p) => !p.includes('<'));
    expect(concrete.filter((p) => !existsSync(join(repoRoot, p)))).toEqual([]);
  });

  it('build every image, apply every overlay and run every npm script they show', () => {
    for (const name of [...deployedServices.map((s) => s.name), 'cli']) expect(guide).toContain(`docker build -f services/${name}/Dockerfile`);
    for (const overlay of [...guide.matchAll(/kubectl apply -k (infra\/k8s\/overlays\/[\w-]+)/g)].map((m) => m[1]!)) expect(existsSync(join(repoRoot, overlay, 'kustomization.yaml'))).toBe(true);
    expect(guide).toContain('kubectl apply -k infra/k8s/overlays/prod');
    for (const script of [...`${guide}\n${readme}`.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!)) expect(Object.keys(packageScripts)).toContain(script);
  });

  it('cover both paths and an existing cluster with SASL/SCRAM and TLS, naming every variable libs/config reads for it', () => {
    for (const heading of ['## docker compose', '## Kubernetes', '## An existing Kafka cluster with SASL/SCRAM and TLS']) expect(guide).toContain(heading);
    const connections = readFileSync(join(repoRoot, 'libs', 'config', 'src', 'connections.ts'), 'utf8');
    const kafkaVariables = [...connections.matchAll(/^\s+(KAFKA_[A-Z_]+):/gm)].map((m) => m[1]!).filter((v) => v !== 'KAFKA_CONNECT_TIMEOUT_MS');
    expect(kafkaVariables.length).toBeGreaterThan(5);
    expect(kafkaVariables.filter((v) => !guide.includes(v))).toEqual([]);
  });
});
