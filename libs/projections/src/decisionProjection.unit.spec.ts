import { decisionProjection } from './decisionProjection';
import { ProjectionSpecification } from './testing/projectionSpecification';
import { testEvent, testEventTime } from './testing/testEvent';

const at = (seconds: number) => testEventTime + seconds * 1000;
const action = { action_id: 'act-1' };

const proposed = (args: string) =>
  testEvent(
    'action.proposed',
    { actionId: 'act-1', proposedBy: 'agent-7', action: 'transfer_funds', arguments: args, rationale: 'invoice due', risk: 'high', deadline: at(3600) },
    { at: at(0) },
  );
const approved = testEvent('action.approved', { actionId: 'act-1', approvedBy: 'human:alice', comment: 'ok within budget' }, { at: at(30) });
const vetoed = testEvent('action.vetoed', { actionId: 'act-1', vetoedBy: 'human:bob', reason: 'amount too large' }, { at: at(45) });

const given = ProjectionSpecification.for(decisionProjection).given;

describe('decisionProjection', () => {
  it('action.proposed records the action with its arguments as JSON', () =>
    given([])
      .when(proposed('{"amount":1200,"currency":"EUR","to":["acct-9"]}'))
      .then({
        table: 'decisions',
        rows: [
          {
            action_id: 'act-1',
            action: 'transfer_funds',
            arguments: { amount: 1200, currency: 'EUR', to: ['acct-9'] },
            rationale: 'invoice due',
            risk: 'high',
            proposed_by: 'agent-7',
            proposed_at: at(0),
            deadline: at(3600),
            status: 'proposed',
            decided_by: null,
            decided_at: null,
            decision_comment: null,
          },
        ],
      }));

  it('keeps arguments that are not JSON as a JSON string', () =>
    given([]).when(proposed('amount=1200')).thenRow('decisions', action, { arguments: 'amount=1200' }));

  it('stores no rationale and no deadline as nulls', () =>
    given([])
      .when(testEvent('action.proposed', { actionId: 'act-1', proposedBy: 'agent-7', action: 'send_email', arguments: '{}', risk: 'low' }))
      .thenRow('decisions', action, { rationale: null, deadline: null, arguments: {} }));

  it('proposed → approved records who decided, when and why', () =>
    given([proposed('{}')])
      .when(approved)
      .thenRow('decisions', action, { status: 'approved', decided_by: 'human:alice', decided_at: at(30), decision_comment: 'ok within budget', proposed_at: at(0) }));

  it('an approval without a comment stores a null comment', () =>
    given([proposed('{}')])
      .when(testEvent('action.approved', { actionId: 'act-1', approvedBy: 'human:alice' }, { at: at(30) }))
      .thenRow('decisions', action, { status: 'approved', decision_comment: null }));

  it('proposed → vetoed records the veto reason as the comment', () =>
    given([proposed('{}')])
      .when(vetoed)
      .thenRow('decisions', action, { status: 'vetoed', decided_by: 'human:bob', decided_at: at(45), decision_comment: 'amount too large', action: 'transfer_funds' }));

  it('a decision on an action proposed before the replay window still gets a row', () =>
    given([]).when(vetoed).thenRow('decisions', action, { status: 'vetoed', action: null, proposed_at: null, arguments: null }));

  it.each([
    ['action.proposed', proposed('{"a":1}')],
    ['action.approved', approved],
    ['action.vetoed', vetoed],
  ])('applying %s twice changes nothing the second time', (_type, event) => given([proposed('{"a":1}'), event]).when(event).thenNothingChanged());
});
