import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSchemaCatalog } from '@agentbus/codec';
import { generatedHeader, renderEventTypes } from './renderEventTypes';
import { schemasDir as repoSchemas } from './paths';

const tempDirs: string[] = [];
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A schemas folder holding the repository's envelope and the given payload files, keyed category/file. */
const schemasDir = (files: Record<string, object>): string => {
  const dir = mkdtempSync(join(tmpdir(), 'agentbus-render-'));
  tempDirs.push(dir);
  copyFileSync(join(repoSchemas, 'envelope.avsc'), join(dir, 'envelope.avsc'));
  for (const [path, schema] of Object.entries(files)) {
    mkdirSync(join(dir, path.split('/')[0]!), { recursive: true });
    writeFileSync(join(dir, path), JSON.stringify(schema));
  }
  return dir;
};

const record = (namespace: string, name: string, fields: object[], doc?: string) => ({ type: 'record', name, namespace, fields, ...(doc ? { doc } : {}) });

const fixture = () =>
  schemasDir({
    'task/task.started.v1.avsc': record(
      'agentbus.task',
      'TaskStartedPayload',
      [
        { name: 'taskId', type: 'string' },
        { name: 'stage', type: { type: 'enum', name: 'TaskStage', symbols: ['queued', 'running', 'done'], default: 'queued' } },
        { name: 'note', type: ['null', 'string'], default: null, doc: 'Free text.' },
        { name: 'deadline', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }], default: null },
        { name: 'tags', type: { type: 'array', items: 'string' }, default: [] },
        { name: 'attempt', type: 'int', default: 1 },
        {
          name: 'worker',
          type: { type: 'record', name: 'Worker', fields: [{ name: 'id', type: 'string' }, { name: 'load', type: 'double' }, { name: 'busy', type: 'boolean' }] },
        },
      ],
      'A task started.',
    ),
    'agent/memory.updated.v1.avsc': record('agentbus.agent', 'MemoryUpdatedPayload', [{ name: 'agentId', type: 'string' }]),
    'agent/memory.updated.v2.avsc': record('agentbus.agent', 'MemoryUpdatedPayload', [
      { name: 'agentId', type: 'string' },
      { name: 'key', type: ['null', 'string'], default: null },
    ]),
  });

describe('renderEventTypes', () => {
  const output = renderEventTypes(loadSchemaCatalog(fixture()));

  it('starts with the do-not-edit header and ends with one newline', () => {
    expect(output.startsWith(`${generatedHeader}\n`)).toBe(true);
    expect(output.endsWith('] as const;\n')).toBe(true);
  });

  it('renders enums as string-literal unions with their symbols in schema order', () => {
    expect(output).toContain("export type TaskStage = 'queued' | 'running' | 'done';");
    expect(output).toContain("export const taskStageSymbols = ['queued', 'running', 'done'] as const;");
  });

  it('renders nullable fields as optional `| null`, and fields with other defaults as required', () => {
    expect(output).toContain('  /** Free text. */\n  note?: string | null;');
    expect(output).toContain('  deadline?: number | null;');
    expect(output).toContain('  tags: string[];');
    expect(output).toContain('  attempt: number;');
    expect(output).toContain('  stage: TaskStage;');
  });

  it('renders nested records as their own interfaces after the payload', () => {
    expect(output).toContain('/** A task started. */\nexport interface TaskStartedPayload {');
    expect(output).toContain('  worker: Worker;');
    expect(output).toContain('export interface Worker {\n  id: string;\n  load: number;\n  busy: boolean;\n}');
    expect(output.indexOf('interface TaskStartedPayload')).toBeLessThan(output.indexOf('interface Worker'));
  });

  it('describes the newest version of each type', () => {
    expect(output).toContain('export interface MemoryUpdatedPayload {\n  agentId: string;\n  key?: string | null;\n}');
    expect(output).toContain("  'memory.updated': 2,");
  });

  it('maps every type to its payload and to the category its file is in', () => {
    expect(output).toContain("export interface EventPayloads {\n  'memory.updated': MemoryUpdatedPayload;\n  'task.started': TaskStartedPayload;\n}");
    expect(output).toContain('export type EventType = keyof EventPayloads;');
    expect(output).toContain("export const eventTypeCategories = {\n  'memory.updated': 'agent',\n  'task.started': 'task',\n} as const;");
    expect(output).toContain("export const eventTypes = [\n  'memory.updated',\n  'task.started',\n] as const;");
  });

  it('refuses two different types that would get the same TypeScript name', () => {
    const dir = schemasDir({
      'task/task.a.v1.avsc': record('agentbus.task', 'TaskAPayload', [{ name: 'x', type: { type: 'enum', name: 'Kind', symbols: ['a'] } }]),
      'task/task.b.v1.avsc': record('agentbus.task', 'TaskBPayload', [{ name: 'x', type: { type: 'enum', name: 'Kind', symbols: ['b'] } }]),
    });
    expect(() => renderEventTypes(loadSchemaCatalog(dir))).toThrow(/task\.b: type Kind is also defined differently by task\.a/);
  });
});

describe('renderEventTypes on the repository schemas', () => {
  const catalog = loadSchemaCatalog(repoSchemas);
  const output = renderEventTypes(catalog);

  it('has an EventPayloads entry, a category and a list entry for every catalog type', () => {
    const section = (start: string) => output.slice(output.indexOf(start), output.indexOf('\n}', output.indexOf(start)));
    const payloads = section('export interface EventPayloads {');
    const categories = section('export const eventTypeCategories = {');
    for (const type of catalog.eventTypes()) {
      expect(payloads).toContain(`  '${type}': `);
      expect(categories).toContain(`  '${type}': '${catalog.latest(type).category}',`);
    }
    expect(payloads.match(/^ {2}'/gm)).toHaveLength(catalog.eventTypes().length);
  });

  it('is deterministic', () => {
    expect(renderEventTypes(loadSchemaCatalog(repoSchemas))).toBe(output);
  });
});
