import { formatSetup } from './topics';

describe('formatSetup', () => {
  it('says which topics it created and which existed, the subjects with their versions, and the live read models', () => {
    const lines = formatSetup(
      {
        createdTopics: ['p.dlq'],
        topics: ['p.task', 'p.dlq'],
        subjects: [
          { subject: 'p.task-agentbus.task.TaskCompleted', version: 1, id: 7 },
          { subject: 'p.task-agentbus.task.TaskCompleted', version: 2, id: 8 },
          { subject: 'p.task-agentbus.task.TaskCreated', version: 1, id: 1 },
        ],
        readModels: { schema: 'read_models_g2', generation: 2 },
      },
      { partitions: 6, replicationFactor: 1 },
    );
    expect(lines).toEqual([
      'topics: 1 created (6 partitions, replication 1), 1 already existed',
      '  exists  p.task',
      '  created p.dlq',
      'schemas: 3 versions registered under 2 subjects, compatibility BACKWARD_TRANSITIVE',
      '  SUBJECT                             VERSIONS',
      '  p.task-agentbus.task.TaskCompleted  v1 id 7, v2 id 8',
      '  p.task-agentbus.task.TaskCreated    v1 id 1',
      'read models: generation 2 is live in schema read_models_g2',
    ]);
  });
});
