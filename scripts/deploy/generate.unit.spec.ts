import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { driftedFiles, generatedFiles } from './generate';

describe('generated deployment files', () => {
  it('are committed as the generator makes them now (run npm run deploy:generate when this fails)', () => {
    expect(Object.keys(generatedFiles())).toEqual(
      expect.arrayContaining(['infra/k8s/base/kafka/topics.generated.yaml', 'infra/k8s/base/kafka/users.generated.yaml', 'services/projector/Dockerfile', 'infra/k8s/base/services/projector.yaml']),
    );
    expect(driftedFiles()).toEqual([]);
  });

  it('notice a committed file that differs', () => {
    expect(driftedFiles('/nonexistent-checkout').sort()).toEqual(Object.keys(generatedFiles()).sort());
  });

  it('give every image build the dependency patches before its npm ci, so bundles carry patched kafkajs', () => {
    const dockerfiles = Object.entries(generatedFiles()).filter(([path]) => path.endsWith('Dockerfile'));
    expect(dockerfiles.length).toBeGreaterThan(5);
    for (const [, text] of dockerfiles) {
      const npmCi = text.search(/^RUN .*npm ci/m);
      expect(text.indexOf('cp -r patches /manifests/patches')).toBeGreaterThan(-1);
      expect(text.indexOf('COPY --from=manifests /manifests/ ./')).toBeLessThan(npmCi);
    }
    expect(existsSync(join(__dirname, '..', '..', 'patches', 'kafkajs+2.2.4.patch'))).toBe(true);
  });
});
