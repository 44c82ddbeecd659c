import { formatMigrate } from './migrate';

describe('formatMigrate', () => {
  it('names the live generation, and counts subjects only when schemas were registered', () => {
    expect(formatMigrate({ readModels: { schema: 'read_models_g3', generation: 3 } })).toEqual([
      'read models: generation 3 is live in schema read_models_g3, migrations applied',
    ]);
    expect(
      formatMigrate({
        readModels: { schema: 'read_models_g1', generation: 1 },
        subjects: [
          { subject: 'p.task-agentbus.task.TaskCompleted', version: 1, id: 7 },
          { subject: 'p.task-agentbus.task.TaskCompleted', version: 2, id: 8 },
          { subject: 'p.task-agentbus.task.TaskCreated', version: 1, id: 1 },
        ],
      }),
    ).toEqual([
      'read models: generation 1 is live in schema read_models_g1, migrations applied',
      'schemas: 3 versions registered under 2 subjects, compatibility BACKWARD_TRANSITIVE',
    ]);
  });
});
