import { describeProblem } from './auditVerification';

describe('describeProblem', () => {
  it('names the kind, the partition, the position, the offset and the event of the first bad row', () => {
    expect(describeProblem({ kind: 'modified', topic: 'agentbus.task', partition: 2, position: '5', offset: '17', eventId: 'E1', detail: 'its content no longer matches its hash' })).toBe(
      'MODIFIED: agentbus.task partition 2, position 5, offset 17, event E1: its content no longer matches its hash',
    );
  });

  it('leaves out what a lost tail cannot know', () => {
    expect(describeProblem({ kind: 'deleted', topic: 'agentbus.dlq', partition: 0, position: '9', offset: null, eventId: null, detail: 'the last 2 rows are missing' })).toBe('DELETED: agentbus.dlq partition 0, position 9: the last 2 rows are missing');
  });
});
