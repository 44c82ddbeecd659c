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
});
