import { ProjectionSpecification } from './testing/projectionSpecification';
import { testEvent, testEventTime } from './testing/testEvent';
import { trustProjection } from './trustProjection';

const at = (seconds: number) => testEventTime + seconds * 1000;
const agent = { agent_id: 'agent-7' };

const scored = (score: number, previousScore: number | null, seconds: number) =>
  testEvent('score.updated', { agentId: 'agent-7', score, previousScore, reason: `review ${seconds}` }, { at: at(seconds) });
const violation = (evidence: string | null, seconds: number) =>
  testEvent('violation.detected', { agentId: 'agent-7', violation: 'unapproved_tool_use', severity: 'critical', evidence }, { at: at(seconds) });

const first = scored(0.5, null, 0);
const second = scored(0.8, 0.5, 10);

const given = ProjectionSpecification.for(trustProjection).given;

describe('trustProjection', () => {
  it("score.updated sets the agent's current score", () =>
    given([])
      .when(first)
      .then({ table: 'trust_scores', rows: [{ agent_id: 'agent-7', score: 0.5, previous_score: null, reason: 'review 0', updated_at: at(0), last_violation_at: null }] }));

  it('score.updated appends one history row per event', () =>
    given([first])
      .when(second)
      .then({
        table: 'trust_score_history',
        rows: [
          { event_id: first.id, agent_id: 'agent-7', score: 0.5, previous_score: null, reason: 'review 0', at: at(0) },
          { event_id: second.id, agent_id: 'agent-7', score: 0.8, previous_score: 0.5, reason: 'review 10', at: at(10) },
        ],
      }));

  it('the current score follows the latest score.updated', () =>
    given([first]).when(second).thenRow('trust_scores', agent, { score: 0.8, previous_score: 0.5, reason: 'review 10', updated_at: at(10) }));

  it('violation.detected appends the violation with its evidence as JSON', () =>
    given([])
      .when(violation('{"tool":"shell","approved":false}', 5))
      .then({
        table: 'violations',
        rows: [
          {
            event_id: violation('{"tool":"shell","approved":false}', 5).id,
            agent_id: 'agent-7',
            violation: 'unapproved_tool_use',
            severity: 'critical',
            evidence: { tool: 'shell', approved: false },
            at: at(5),
          },
        ],
      }));

  it('violation.detected without evidence stores null, and evidence that is not JSON as a string', () => {
    given([]).when(violation(null, 5)).thenRow('violations', { event_id: violation(null, 5).id }, { evidence: null });
    given([]).when(violation('ran rm -rf', 5)).thenRow('violations', { event_id: violation('ran rm -rf', 5).id }, { evidence: 'ran rm -rf' });
  });

  it('violation.detected marks the last violation without touching the score', () =>
    given([first]).when(violation(null, 5)).thenRow('trust_scores', agent, { score: 0.5, last_violation_at: at(5), updated_at: at(5) }));

  it('a violation by an agent with no score yet still gets a trust_scores row', () =>
    given([]).when(violation(null, 5)).thenRow('trust_scores', agent, { score: null, previous_score: null, last_violation_at: at(5) }));

  it('applying score.updated twice adds no second history row', () => given([first, second]).when(second).thenNothingChanged());

  it('applying violation.detected twice adds no second violation', () => given([violation('{}', 5)]).when(violation('{}', 5)).thenNothingChanged());

  it('keeps history and violations of different agents apart', () =>
    given([first])
      .when(testEvent('score.updated', { agentId: 'agent-9', score: 0.1 }, { at: at(1) }))
      .thenRow('trust_scores', { agent_id: 'agent-9' }, { score: 0.1, previous_score: null, reason: null }));
});
