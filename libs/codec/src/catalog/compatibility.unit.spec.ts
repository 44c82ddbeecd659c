import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkBackwardTransitive } from './compatibility';
import { loadSchemaCatalog } from './schemaCatalog';

const payloadWith = (...extra: object[]) => ({
  type: 'record',
  name: 'TaskCreatedPayload',
  namespace: 'agentbus.task',
  fields: [{ name: 'taskId', type: 'string' }, ...extra],
});

let dir: string;
const catalogWithV2 = (v2: object) => {
  dir = mkdtempSync(join(tmpdir(), 'agentbus-compat-'));
  copyFileSync(resolve(__dirname, '../../../../schemas/envelope.avsc'), join(dir, 'envelope.avsc'));
  mkdirSync(join(dir, 'task'));
  writeFileSync(join(dir, 'task', 'task.created.v1.avsc'), JSON.stringify(payloadWith()));
  writeFileSync(join(dir, 'task', 'task.created.v2.avsc'), JSON.stringify(v2));
  return loadSchemaCatalog(dir);
};
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('checkBackwardTransitive', () => {
  it('reports a new version that adds a required field without a default', () => {
    const problems = checkBackwardTransitive(catalogWithV2(payloadWith({ name: 'owner', type: 'string' })));
    expect(problems).toEqual([{ eventType: 'task.created', reader: 2, writer: 1, reason: expect.stringContaining('owner') }]);
  });

  it('accepts a new version whose added field has a default', () => {
    expect(checkBackwardTransitive(catalogWithV2(payloadWith({ name: 'owner', type: ['null', 'string'], default: null })))).toEqual([]);
  });

  it('reports a changed field type', () => {
    const problems = checkBackwardTransitive(catalogWithV2({ ...payloadWith(), fields: [{ name: 'taskId', type: 'long' }] }));
    expect(problems).toMatchObject([{ eventType: 'task.created', reader: 2, writer: 1 }]);
  });
});
