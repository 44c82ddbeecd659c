import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkBackwardTransitive } from './compatibility';
import { defaultSchemasDir, loadSchemaCatalog, SchemaDefinitionError } from './schemaCatalog';

const repoSchemas = resolve(__dirname, '../../../../schemas');

const payload = (name: string, fields: object[]) => ({ type: 'record', name, namespace: 'agentbus.task', fields });
const taskCreatedV1 = payload('TaskCreatedPayload', [{ name: 'taskId', type: 'string' }]);

const tempDirs: string[] = [];
const schemasDir = (files: Record<string, object>): string => {
  const dir = mkdtempSync(join(tmpdir(), 'agentbus-schemas-'));
  tempDirs.push(dir);
  copyFileSync(join(repoSchemas, 'envelope.avsc'), join(dir, 'envelope.avsc'));
  mkdirSync(join(dir, 'task'));
  for (const [name, schema] of Object.entries(files)) writeFileSync(join(dir, 'task', name), JSON.stringify(schema));
  return dir;
};
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const loadError = (dir: string): SchemaDefinitionError => {
  try {
    loadSchemaCatalog(dir);
  } catch (error) {
    if (error instanceof SchemaDefinitionError) return error;
    throw error;
  }
  throw new Error('expected a SchemaDefinitionError');
};

describe('loadSchemaCatalog on the repository schemas', () => {
  const catalog = loadSchemaCatalog();

  it('finds the schemas folder above the library', () => {
    expect(defaultSchemasDir()).toBe(repoSchemas);
  });

  it('finds every event type and version', () => {
    expect(catalog.eventTypes()).toEqual([
      'action.approved',
      'action.proposed',
      'action.vetoed',
      'agent.backpressure',
      'agent.heartbeat',
      'agent.offline',
      'agent.online',
      'agent.paused',
      'agent.recovered',
      'agent.started',
      'agent.suspected_failure',
      'document.processed',
      'embedding.generated',
      'memory.updated',
      'operator.action',
      'saga.compensated',
      'saga.compensating',
      'saga.completed',
      'saga.event_ignored',
      'saga.failed',
      'saga.operator_alert',
      'saga.started',
      'saga.step.completed',
      'saga.step.dispatched',
      'saga.step.failed',
      'saga.step.timed_out',
      'score.updated',
      'system.shutdown',
      'task.acknowledged',
      'task.assigned',
      'task.completed',
      'task.created',
      'task.failed',
      'tool.invoked',
      'violation.detected',
      'workflow.requested',
    ]);
    expect(catalog.history('task.created').map((s) => s.version)).toEqual([1]);
    expect(catalog.history('task.completed').map((s) => s.version)).toEqual([1, 2]);
    expect(catalog.latest('task.completed').version).toBe(2);
    expect(catalog.has('task.deleted')).toBe(false);
  });

  it('takes the category from the folder a schema file is in, not from the first word of the type', () => {
    expect(catalog.latest('memory.updated')).toMatchObject({ category: 'agent', recordName: 'agentbus.agent.MemoryUpdated' });
    expect(catalog.latest('tool.invoked')).toMatchObject({ category: 'system', recordName: 'agentbus.system.ToolInvoked' });
    expect(catalog.latest('score.updated').category).toBe('trust');
    expect(catalog.latest('action.proposed').category).toBe('decision');
    expect(catalog.latest('embedding.generated').category).toBe('data');
  });

  it('composes the envelope and payload under the event record name', () => {
    const created = catalog.latest('task.created');
    expect(created).toMatchObject({ category: 'task', recordName: 'agentbus.task.TaskCreated' });
    expect(created.schema.fields.map((f) => f.name)).toEqual(['id', 'type', 'source', 'timestamp', 'routingKey', 'metadata', 'payload']);
    expect(created.avroType.name).toBe('agentbus.task.TaskCreated');
    expect(catalog.latestByRecordName('agentbus.task.TaskCompleted')).toBe(catalog.version('task.completed', 2));
  });

  it('throws for unknown types and versions', () => {
    expect(() => catalog.latest('task.deleted')).toThrow(SchemaDefinitionError);
    expect(() => catalog.version('task.created', 2)).toThrow(/no version 2 of "task.created"/);
  });

  it('is backward transitive', () => {
    expect(checkBackwardTransitive(catalog)).toEqual([]);
  });
});

describe('loadSchemaCatalog on invalid schema folders', () => {
  it('rejects a file name without a version, naming the file', () => {
    const error = loadError(schemasDir({ 'task.created.avsc': taskCreatedV1 }));
    expect(error.code).toBe('SCHEMA_INVALID');
    expect(error.message).toContain('task.created.avsc');
    expect(error.message).toContain('<event.type>.v<N>.avsc');
  });

  it('rejects a gap in versions', () => {
    const error = loadError(schemasDir({ 'task.created.v1.avsc': taskCreatedV1, 'task.created.v3.avsc': taskCreatedV1 }));
    expect(error.message).toContain('task.created.v3.avsc');
    expect(error.message).toContain('must run 1..N without gaps');
  });

  it('rejects a payload record with the wrong name, naming the expected one', () => {
    const error = loadError(schemasDir({ 'task.created.v1.avsc': payload('CreatedPayload', [{ name: 'taskId', type: 'string' }]) }));
    expect(error.message).toContain('task.created.v1.avsc');
    expect(error.message).toContain('must be named agentbus.task.TaskCreatedPayload, found agentbus.task.CreatedPayload');
  });

  it('rejects a file that is not JSON', () => {
    const dir = schemasDir({});
    writeFileSync(join(dir, 'task', 'task.created.v1.avsc'), '{ not json');
    expect(loadError(dir).message).toMatch(/task\.created\.v1\.avsc: not valid JSON/);
  });
});
