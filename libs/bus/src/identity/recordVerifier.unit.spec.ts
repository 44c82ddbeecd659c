import { AgentbusError, createEvent, type AgentEvent } from '@agentbus/events';
import { generateSigningKey, signatureHeader, signRecord, staticAgentPolicy, type AgentGrant, type AgentPolicySource, type SigningKey } from '@agentbus/identity';
import { Headers } from '../kafka/headers';
import { assertVerificationMode, RecordVerifier, refusedEventOf } from './recordVerifier';
import { violationFor } from './violations';

const topic = 'p.task';
const alice = generateSigningKey();
const carol = generateSigningKey();
const grant = (key: SigningKey, types: string[], revokedAt: Date | null = null): AgentGrant => ({ did: key.did, name: null, types, allowedAt: new Date(0), revokedAt });
const policy = staticAgentPolicy([grant(alice, ['task.*']), grant(carol, ['agent.#'])]);

const signed = (key: SigningKey | undefined, event: AgentEvent, value = Buffer.from(`bytes of ${event.id}`)) => ({
  value,
  headers: { [Headers.routingKey]: event.routingKey, ...(key ? { [signatureHeader]: signRecord(key, { topic, routingKey: event.routingKey, value }) } : {}) },
});
const created = (source: string) => createEvent({ type: 'task.created', source, payload: { taskId: 't-1' } });

describe('RecordVerifier', () => {
  const verifier = new RecordVerifier({ mode: 'require', policy });

  it('passes an event signed by its source, allowed its type', async () => {
    const event = created(alice.did);
    expect(await verifier.check(topic, signed(alice, event), event)).toBeUndefined();
  });

  it.each([
    ['unsigned', () => ({ event: created(alice.did), key: undefined }), 'EVENT_UNSIGNED'],
    ['signed by someone else than its source', () => ({ event: created(alice.did), key: carol }), 'SOURCE_MISMATCH'],
    ['a type the signer may not emit', () => ({ event: created(carol.did), key: carol }), 'NOT_AUTHORIZED'],
    ['a signer the policy does not know', () => {
      const mallory = generateSigningKey();
      return { event: created(mallory.did), key: mallory };
    }, 'NOT_AUTHORIZED'],
  ])('refuses %s, naming the refused event', async (_what, scene, code) => {
    const { event, key } = scene();
    const refusal = await verifier.check(topic, signed(key, event), event);
    expect(refusal?.code).toBe(code);
    expect(refusedEventOf(refusal!)).toMatchObject({ eventId: event.id, eventType: 'task.created', claimedSource: event.source });
  });

  it('decodes without a promise only what it would accept; anything else is left to decodeVerified', () => {
    const now = (key: SigningKey | undefined, event: AgentEvent, source = policy) => new RecordVerifier({ mode: 'require', policy: source }).decodeVerifiedNow(topic, signed(key, event), () => ({ event }));
    const event = created(alice.did);
    expect(now(alice, event)).toEqual({ event });
    expect(now(alice, event, { grantOf: policy.grantOf })).toBeUndefined(); // no grant in memory
    expect(now(undefined, event)).toBeUndefined();
    expect(now(carol, event)).toBeUndefined();
    expect(now(carol, created(carol.did))).toBeUndefined();
    expect(now(alice, event, staticAgentPolicy([grant(alice, ['task.*'], new Date())]))).toBeUndefined();
    const tampered = signed(alice, event);
    expect(new RecordVerifier({ mode: 'require', policy }).decodeVerifiedNow(topic, { ...tampered, value: Buffer.from('other bytes') }, () => ({ event }))).toBeUndefined();
    expect(new RecordVerifier({ mode: 'require', policy }).decodeVerifiedNow(topic, signed(alice, event), () => undefined)).toBeUndefined();
    expect(new RecordVerifier({ mode: 'off' }).decodeVerifiedNow(topic, signed(undefined, event), () => ({ event }))).toEqual({ event });
  });

  it('refuses a revoked key, and says so', async () => {
    const revoked = new RecordVerifier({ mode: 'require', policy: staticAgentPolicy([grant(alice, ['task.*'], new Date())]) });
    const event = created(alice.did);
    expect((await revoked.check(topic, signed(alice, event), event))?.message).toMatch(/was revoked/);
  });

  it('judged as of a time (an audit), counts a revocation only from when it was made', async () => {
    const revokedAt = new Date('2026-11-30T12:00:00Z');
    const verifier = new RecordVerifier({ mode: 'require', policy: staticAgentPolicy([grant(alice, ['task.*'], revokedAt)]) });
    const event = created(alice.did);
    expect(await verifier.check(topic, signed(alice, event), event, new Date('2026-11-30T11:59:59Z'))).toBeUndefined();
    expect((await verifier.check(topic, signed(alice, event), event, revokedAt))?.message).toMatch(/was revoked/);
    expect((await verifier.check(topic, signed(alice, event), event, new Date('2026-12-01T00:00:00Z')))?.message).toMatch(/was revoked/);
  });

  it('checks the signature before decoding: a tampered record is SIGNATURE_INVALID even when it no longer decodes', async () => {
    const event = created(alice.did);
    const record = signed(alice, event);
    const tampered = { ...record, value: Buffer.concat([record.value, Buffer.from([0])]) };
    const undecodable = () => Promise.reject(new AgentbusError('EVENT_UNDECODABLE', 'garbage'));
    await expect(verifier.decodeVerified(topic, tampered, undecodable, async () => ({ event }))).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    await expect(verifier.decodeVerified(topic, record, undecodable)).rejects.toMatchObject({ code: 'EVENT_UNDECODABLE' });
  });

  it('waits out a policy outage (retriable) rather than refusing', async () => {
    const down: AgentPolicySource = { grantOf: () => Promise.reject(new AgentbusError('POLICY_UNAVAILABLE', 'down', { retriable: true })) };
    const event = created(alice.did);
    await expect(new RecordVerifier({ mode: 'require', policy: down }).check(topic, signed(alice, event), event)).rejects.toMatchObject({ retriable: true });
  });

  it('in warn, reports the refusal and delivers; in off, only decodes', async () => {
    const warnings: string[] = [];
    const event = created(alice.did);
    const warn = new RecordVerifier({ mode: 'warn', policy, onWarning: (r) => warnings.push(r.code) });
    await expect(warn.decodeVerified(topic, signed(undefined, event), async () => ({ event }))).resolves.toEqual({ event });
    expect(warnings).toEqual(['EVENT_UNSIGNED']);
    await expect(new RecordVerifier({ mode: 'off' }).decodeVerified(topic, signed(undefined, event), async () => ({ event }))).resolves.toEqual({ event });
  });

  it('is refused when built with an unknown mode, or a checking mode without a policy', () => {
    expect(() => new RecordVerifier({ mode: 'strict' as 'require', policy })).toThrow(/off, warn, require/);
    expect(() => new RecordVerifier({ mode: 'require' })).toThrow(/needs an agent policy/);
    expect(() => assertVerificationMode('off', false, 'verify')).not.toThrow();
  });
});

describe('violationFor', () => {
  const verifier = new RecordVerifier({ mode: 'require', policy });
  const at = { topic, partition: 2, offset: '41', timestamp: Date.UTC(2026, 10, 30) };

  it('names the proven signer, with evidence, under an id every reporter derives alike', async () => {
    const event = created(alice.did);
    const refusal = (await verifier.check(topic, signed(carol, event), event))!;
    const first = violationFor(refusal, at, 'projector')!;
    const second = violationFor(refusal, at, 'saga-orchestrator')!;
    expect(first.id).toBe(second.id);
    expect(first.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(first.payload).toMatchObject({ agentId: carol.did, violation: 'source_mismatch', severity: 'critical' });
    expect(JSON.parse((first.payload as { evidence: string }).evidence)).toMatchObject({ code: 'SOURCE_MISMATCH', offset: '41', claimedSource: alice.did, signer: carol.did, proven: true });
    expect(violationFor(refusal, { ...at, offset: '42' }, 'projector')!.id).not.toBe(first.id);
  });

  it('never reports a refused violation report, so readers cannot report each other in a loop', async () => {
    const report = createEvent({ type: 'violation.detected', source: 'did:agent:x', payload: { agentId: 'y', violation: 'v', severity: 'high', evidence: null } });
    const refusal = (await verifier.check('p.trust', signed(undefined, report), report))!;
    expect(violationFor(refusal, at, 'projector')).toBeUndefined();
  });
});
