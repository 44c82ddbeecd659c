import type { AgentEvent } from '@agentbus/events';
import { CliError } from '../cliSupport';
import { deadLetterSummary, formatDeadLetter, formatDeadLetterTable, parseDlqRef } from './dlq';
import { sampleDeadLetter, thrownBy } from '@agentbus/testing';

const deadLetter = sampleDeadLetter;

const thrown = (fn: () => unknown): CliError => thrownBy(fn, CliError);

describe('parseDlqRef', () => {
  it('reads partition:offset', () => {
    expect(parseDlqRef('0:42')).toEqual({ partition: 0, offset: '42' });
    expect(parseDlqRef('11:9007199254740993')).toEqual({ partition: 11, offset: '9007199254740993' });
    expect(parseDlqRef('3:007')).toEqual({ partition: 3, offset: '7' });
  });

  it.each(['42', '0:', ':42', '0:-1', 'a:b', '0:42:1', ''])('refuses %j as a usage error naming the argument', (value) => {
    const error = thrown(() => parseDlqRef(value));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('<partition:offset>');
    expect(error.message).toContain(JSON.stringify(value));
  });
});

describe('formatDeadLetterTable', () => {
  it('lines up one row per dead letter under the headers, reasons cut short', () => {
    const lines = formatDeadLetterTable([deadLetter(), deadLetter({ partition: 10, offset: '3', reason: `boom ${'x'.repeat(100)}`, code: 'HANDLER_FAILED', attempts: 5 })]);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^DLQ\s+FAILED AT\s+CODE\s+SOURCE\s+SUBSCRIPTION\s+ATTEMPTS\s+REASON$/);
    expect(lines[1]).toMatch(/^0:42\s+2026-11-24T10:00:00.000Z\s+EVENT_UNDECODABLE\s+agentbus.task\/2\/7\s+task.any\s+1\s+Cannot decode/);
    expect(lines[2]).toMatch(/^10:3\s+.*HANDLER_FAILED\s+.*\s+5\s+boom x+…$/);
    expect(lines[1]!.indexOf('2026')).toBe(lines[2]!.indexOf('2026'));
  });
});

describe('deadLetterSummary', () => {
  it('is plain JSON: the ref, ISO time and byte count instead of the bytes', () => {
    expect(deadLetterSummary(deadLetter())).toEqual({
      ref: '0:42',
      partition: 0,
      offset: '42',
      failedAt: '2026-11-24T10:00:00.000Z',
      code: 'EVENT_UNDECODABLE',
      reason: 'Cannot decode event: wrong magic byte 110, expected 0',
      sourceTopic: 'agentbus.task',
      sourcePartition: 2,
      sourceOffset: '7',
      subscription: 'task.any',
      service: 'worker',
      attempts: 1,
      key: 'junk-0',
      valueBytes: 8,
    });
  });
});

describe('formatDeadLetter', () => {
  it('shows the headers, a hex dump of the bytes, and why they did not decode', () => {
    const lines = formatDeadLetter('agentbus.dlq', deadLetter(), { error: 'EVENT_UNDECODABLE: wrong magic byte' });
    expect(lines[0]).toBe('dead letter 0:42 in agentbus.dlq');
    expect(lines).toContain('source        agentbus.task partition 2 offset 7');
    expect(lines).toContain('  agentbus-routing-key  task.created');
    expect(lines).toContain(`  0000  ${'6e 6f 74 20 61 76 72 6f'.padEnd(47)}  not avro`);
    expect(lines[lines.length - 1]).toBe('event         not decodable: EVENT_UNDECODABLE: wrong magic byte');
  });

  it('shortens a long header value (a v4 carrier is kilobytes of base64) and says how long it is', () => {
    const carrier = `base64:${Buffer.alloc(2380, 7).toString('base64')}`;
    const lines = formatDeadLetter('agentbus.dlq', deadLetter({ headers: { 'agentbus-routing-key': 'task.created', 'agentbus-signature-carrier': carrier } }), { error: 'x' });
    const shown = lines.find((l) => l.includes('agentbus-signature-carrier'))!;
    expect(shown).toBe(`  agentbus-signature-carrier  ${carrier.slice(0, 72)}… (${carrier.length.toLocaleString('en-US')} characters; --json shows all)`);
    expect(lines).toContain('  agentbus-routing-key        task.created');
  });

  it('prints the decoded event as indented JSON', () => {
    const event = { id: 'e-1', type: 'task.created' } as AgentEvent;
    const lines = formatDeadLetter('agentbus.dlq', deadLetter({ headers: {} }), { event });
    expect(lines).toContain('headers       (none)');
    expect(lines.slice(lines.indexOf('event'))).toEqual(['event', '  {', '    "id": "e-1",', '    "type": "task.created"', '  }']);
  });
});
