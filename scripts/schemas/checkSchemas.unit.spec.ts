import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSchemaCatalog } from '@agentbus/codec';
import { checkSchemas } from './checkSchemas';
import { generatedFile as repoGeneratedFile, schemasDir as repoSchemas } from './paths';
import { renderEventTypes } from './renderEventTypes';

const tempDirs: string[] = [];
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const taskCreated = (fields: object[]) => ({ type: 'record', name: 'TaskCreatedPayload', namespace: 'agentbus.task', fields });
const v1 = taskCreated([{ name: 'taskId', type: 'string' }]);

/** A temp schemas folder with the given task files, and a generated file rendered from it. */
const setup = (files: Record<string, object>) => {
  const root = mkdtempSync(join(tmpdir(), 'agentbus-check-'));
  tempDirs.push(root);
  const schemasDir = join(root, 'schemas');
  mkdirSync(join(schemasDir, 'task'), { recursive: true });
  copyFileSync(join(repoSchemas, 'envelope.avsc'), join(schemasDir, 'envelope.avsc'));
  for (const [name, schema] of Object.entries(files)) writeFileSync(join(schemasDir, 'task', name), JSON.stringify(schema));
  const generatedFile = join(root, 'eventTypes.generated.ts');
  writeFileSync(generatedFile, renderEventTypes(loadSchemaCatalog(schemasDir)));
  return { schemasDir, generatedFile };
};

describe('checkSchemas', () => {
  it('passes the repository schemas and the committed generated file', () => {
    const result = checkSchemas({ schemasDir: repoSchemas, generatedFile: repoGeneratedFile });
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.summary).toMatch(/^schemas ok: \d+ event types, \d+ versions, BACKWARD_TRANSITIVE holds, generated types up to date$/);
  });

  it('passes when the generated file matches the schemas', () => {
    const result = checkSchemas(setup({ 'task.created.v1.avsc': v1 }));
    expect(result).toEqual({ ok: true, problems: [], summary: expect.stringContaining('1 event types, 1 versions') });
  });

  it('fails when the generated file differs from what the schemas render', () => {
    const paths = setup({ 'task.created.v1.avsc': v1 });
    writeFileSync(paths.generatedFile, readFileSync(paths.generatedFile, 'utf8').replace('taskId: string', 'taskId: number'));
    const result = checkSchemas(paths);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([`${paths.generatedFile} is stale: run npm run schemas:generate`]);
  });

  it('fails when a schema changed after the file was generated, or the file is missing', () => {
    const paths = setup({ 'task.created.v1.avsc': v1 });
    writeFileSync(join(paths.schemasDir, 'task', 'task.created.v2.avsc'), JSON.stringify(taskCreated([{ name: 'taskId', type: 'string' }, { name: 'note', type: ['null', 'string'], default: null }])));
    expect(checkSchemas(paths).problems).toEqual([expect.stringMatching(/is stale: run npm run schemas:generate$/)]);
    rmSync(paths.generatedFile);
    expect(checkSchemas(paths).ok).toBe(false);
  });

  it('names the staleness by its repository path', () => {
    const paths = setup({ 'task.created.v1.avsc': v1 });
    expect(checkSchemas({ ...paths, generatedFile: repoGeneratedFile }).problems).toEqual([
      'libs/events/src/schemas/eventTypes.generated.ts is stale: run npm run schemas:generate',
    ]);
  });

  it('lists each BACKWARD_TRANSITIVE break as type, reader, writer and reason', () => {
    const v2 = taskCreated([{ name: 'taskId', type: 'string' }, { name: 'owner', type: 'string' }]);
    const paths = setup({ 'task.created.v1.avsc': v1, 'task.created.v2.avsc': v2 });
    const result = checkSchemas(paths);
    expect(result.ok).toBe(false);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^task\.created: v2 cannot read v1: .+/);
  });

  it('reports a schema folder the catalog refuses', () => {
    const paths = setup({ 'task.created.v1.avsc': v1 });
    writeFileSync(join(paths.schemasDir, 'task', 'task.created.v3.avsc'), JSON.stringify(v1));
    const result = checkSchemas(paths);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([expect.stringContaining('must run 1..N without gaps')]);
  });
});

describe('repository schema conventions', () => {
  const catalog = loadSchemaCatalog(repoSchemas);
  const payloadOf = (type: string) => catalog.latest(type).schema.fields.find((f) => f.name === 'payload')!.type as { fields: { name: string; type: unknown; default?: unknown }[] };
  const keyFields: Record<string, string[]> = { task: ['taskId'], agent: ['agentId'], trust: ['agentId'], decision: ['actionId'], data: ['documentId'], saga: ['sagaId'] };
  const walk = (type: unknown, visit: (t: Record<string, unknown>) => void): void => {
    if (Array.isArray(type)) return type.forEach((t) => walk(t, visit));
    if (typeof type !== 'object' || type === null) return;
    const t = type as Record<string, unknown>;
    visit(t);
    if (Array.isArray(t.fields)) (t.fields as { type: unknown }[]).forEach((f) => walk(f.type, visit));
    walk(t.items, visit);
    walk(t.values, visit);
  };

  it.each(catalog.eventTypes())('%s carries the id that keys it', (type) => {
    const names = payloadOf(type).fields.map((f) => f.name);
    const expected = type === 'tool.invoked' ? ['agentId', 'invocationId'] : type === 'system.shutdown' || type === 'operator.action' ? [] : keyFields[catalog.latest(type).category]!;
    for (const key of expected) expect(names).toContain(key);
  });

  it.each(catalog.eventTypes())('%s uses no maps, gives every enum a default and every nullable field default null', (type) => {
    walk(payloadOf(type), (t) => {
      expect(t.type).not.toBe('map');
      if (t.type === 'enum') expect(t.symbols).toContain(t.default);
      if (Array.isArray(t.fields)) {
        for (const field of t.fields as { type: unknown; default?: unknown }[]) {
          if (Array.isArray(field.type) && field.type.includes('null')) expect(field).toMatchObject({ type: ['null', expect.anything()], default: null });
        }
      }
    });
  });
});
