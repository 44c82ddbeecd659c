import type { AgentEvent } from '@agentbus/events';
import type { AgentPresence, DetectorEmission, DetectorInput, DetectorPolicy } from '../detector/agentPresence';
import { detect } from '../detector/presenceDetector';

export class DetectorAssertionError extends Error {
  override name = 'DetectorAssertionError';
}

/** One input to the detector at a moment of the monitor's wall clock. */
export interface DetectorStep {
  now: number;
  input: DetectorInput;
}

export const heard = (now: number, event: AgentEvent, partition = 0): DetectorStep => ({ now, input: { kind: 'event', event, partition } });
/** An event read from the backlog, before the monitor is live for the partition. */
export const replayed = (now: number, event: AgentEvent, partition = 0): DetectorStep => ({ now, input: { kind: 'event', event, partition, replaying: true } });
export const tickAt = (now: number): DetectorStep => ({ now, input: { kind: 'tick' } });
export const takenOverAt = (now: number): DetectorStep => ({ now, input: { kind: 'takeOver' } });

export interface DetectorThen {
  /** Exactly these events were emitted by the `when` steps, in order. */
  then(expected: readonly DetectorEmission[]): DetectorThen;
  thenNothingEmitted(): DetectorThen;
  /** The state after the `when` steps has these field values; other fields are not checked. */
  thenState(expected: Partial<AgentPresence>): DetectorThen;
  readonly emitted: readonly DetectorEmission[];
  readonly state: AgentPresence | undefined;
}

const fail = (message: string): never => {
  throw new DetectorAssertionError(message);
};
const show = (value: unknown): string => JSON.stringify(value, null, 2);
const canonical = (value: unknown): unknown =>
  Array.isArray(value) ? value.map(canonical) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, canonical(v)])) : value;
const same = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

const run = (policy: DetectorPolicy, state: AgentPresence | undefined, steps: readonly DetectorStep[]) => {
  const emitted: DetectorEmission[] = [];
  for (const step of steps) {
    const detection = detect(state, step.input, step.now, policy);
    state = detection.state;
    emitted.push(...detection.emit);
  }
  return { state, emitted };
};

/** Given/when/then for the presence detector: `given` builds the state, `when` is judged. */
export const DetectorSpecification = {
  for: (policy: DetectorPolicy) => ({
    given: (...given: DetectorStep[]) => ({
      when: (...when: DetectorStep[]): DetectorThen => {
        const { state: before } = run(policy, undefined, given);
        const { state, emitted } = run(policy, before, when);
        const outcome: DetectorThen = {
          emitted,
          state,
          then: (expected) => {
            if (!same(emitted, expected)) fail(`expected the detector to emit ${show(expected)}\nbut it emitted ${show(emitted)}`);
            return outcome;
          },
          thenNothingEmitted: () => outcome.then([]),
          thenState: (expected) => {
            if (!state) return fail('expected a state, but the detector knows nothing of the agent');
            const actual = Object.fromEntries(Object.keys(expected).map((k) => [k, state[k as keyof AgentPresence]]));
            if (!same(actual, expected)) fail(`expected the state to have ${show(expected)}\nbut it has ${show(actual)}`);
            return outcome;
          },
        };
        return outcome;
      },
    }),
  }),
};
