import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey } from '@agentbus/identity';
import { parseDid, parseTypePatterns } from './agents';
import { writeKeyFile } from './keys';

describe('agents allow arguments', () => {
  it('takes comma-separated AMQP patterns and refuses a bad one naming --types', () => {
    expect(parseTypePatterns(' task.*, agent.# ,')).toEqual(['task.*', 'agent.#']);
    expect(() => parseTypePatterns('task..created')).toThrow(/--types/);
    expect(() => parseTypePatterns(' , ')).toThrow(/at least one/);
  });

  it('takes only an Ed25519 did:key', () => {
    const { did } = generateSigningKey();
    expect(parseDid(did)).toBe(did);
    expect(() => parseDid('did:web:example.com')).toThrow(/<did>/);
  });
});

describe('keys generate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentbus-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the key with mode 0600 and refuses to overwrite without --force', () => {
    const file = join(dir, 'a.key');
    writeKeyFile(file, 'first', false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(() => writeKeyFile(file, 'second', false)).toThrow(/--force/);
    writeKeyFile(file, 'second', true);
    expect(readFileSync(file, 'utf8')).toBe('second');
  });
});
