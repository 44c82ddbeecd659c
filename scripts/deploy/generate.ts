// `npm run deploy:generate` writes the generated deployment files (Strimzi topics and users, the
// Dockerfiles and per-service manifests of serviceTemplates.ts); `--check` only compares them and
// exits 1 when a committed file differs from what the generator makes (a unit test checks the same).
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deployedServices } from './deployedServices';
import { cliDockerfile, demoAgentsDockerfile, kubernetesService, prodSpreadPatch, serviceDockerfile } from './serviceTemplates';
import { generatedTopicsFile, generatedUsersFile, kafkaTopics, kafkaUsers, renderResources } from './strimzi';

const repoRoot = resolve(__dirname, '..', '..');

export const generatedFiles = (): Record<string, string> => ({
  [generatedTopicsFile]: renderResources('libs/kafka agentbusTopics (libs/events eventCategories)', kafkaTopics()),
  [generatedUsersFile]: renderResources('scripts/deploy/deployedServices.ts and the same topic names', kafkaUsers()),
  'services/cli/Dockerfile': cliDockerfile(),
  'infra/compose/demo-agents.Dockerfile': demoAgentsDockerfile(),
  ...Object.fromEntries(
    deployedServices.flatMap((service) => [
      [`services/${service.name}/Dockerfile`, serviceDockerfile(service)],
      [`infra/k8s/base/services/${service.name}.yaml`, kubernetesService(service)],
      [`infra/k8s/overlays/prod/spread/${service.name}.yaml`, prodSpreadPatch(service)],
    ]),
  ),
});

const readOrEmpty = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

/** The generated files whose committed text differs from what the generator makes now. */
export const driftedFiles = (root = repoRoot): string[] =>
  Object.entries(generatedFiles())
    .filter(([file, text]) => readOrEmpty(join(root, file)) !== text)
    .map(([file]) => file);

if (require.main === module) {
  const check = process.argv.includes('--check');
  if (check) {
    const drifted = driftedFiles();
    if (drifted.length > 0) {
      process.stderr.write(`out of date: ${drifted.join(', ')}; run npm run deploy:generate and commit the result\n`);
      process.exit(1);
    }
    console.log('generated deployment files are up to date');
  } else {
    for (const [file, text] of Object.entries(generatedFiles())) {
      writeFileSync(join(repoRoot, file), text);
      console.log(`wrote ${file}`);
    }
  }
}
