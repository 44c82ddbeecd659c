import { eventRecordName, payloadRecordName, subjectName } from './naming';

describe('naming', () => {
  it('names the event record agentbus.<category>.<PascalType>', () => {
    expect(eventRecordName('task', 'task.created')).toBe('agentbus.task.TaskCreated');
    expect(eventRecordName('agent', 'agent.heart_beat')).toBe('agentbus.agent.AgentHeartBeat');
  });

  it('names the payload record with a Payload suffix', () => {
    expect(payloadRecordName('task', 'task.created')).toBe('agentbus.task.TaskCreatedPayload');
  });

  it('builds TopicRecordNameStrategy subjects', () => {
    expect(subjectName('agentbus.task', 'agentbus.task.TaskCreated')).toBe('agentbus.task-agentbus.task.TaskCreated');
  });
});
