import type { Knex } from 'knex';
import { storedHeaderValue } from '@agentbus/audit';
import type { RecordVerifier } from '@agentbus/bus';
import { memberCarrierOffset, signatureHeader } from '@agentbus/identity';

/** A stored record as signed: the topic, partition and offset it was written to (for a dead letter, its source's). */
export interface StoredSigned {
  topic: string;
  partition: number;
  offset: string;
  headers: Record<string, string | Buffer>;
}

export const storedHeaders = (headers: Record<string, unknown> | null | undefined): Record<string, string | Buffer> =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, storedHeaderValue(v)]));

/**
 * Before stored records are verified: the v4 carriers they need, from among them or else read
 * from the trail by the offset each member names (a member's carrier is the last record of its
 * group, which may be on the next page, or, for a dead letter, in the topic it came from).
 */
export const learnStoredCarriers = async (db: Knex | Knex.Transaction, schema: string, verifier: RecordVerifier, rows: readonly StoredSigned[]): Promise<void> => {
  const here = new Set<string>();
  for (const row of rows) {
    here.add(`${row.topic}\u0000${row.partition}\u0000${row.offset}`);
    verifier.learnCarriers(row.topic, row.partition, [row]);
  }
  const wanted = new Map<string, [string, number, string]>();
  for (const row of rows) {
    const at = memberCarrierOffset(row.headers[signatureHeader], row.offset);
    const id = `${row.topic}\u0000${row.partition}\u0000${at}`;
    if (at !== undefined && !here.has(id)) wanted.set(id, [row.topic, row.partition, at]);
  }
  const positions = [...wanted.values()];
  for (let i = 0; i < positions.length; i += 500) {
    const some = positions.slice(i, i + 500);
    const found: { topic: string; partition: number; kafka_offset: string; headers: Record<string, unknown> }[] = (
      await db.raw(`select topic, partition, kafka_offset, headers from ??.records where (topic, partition, kafka_offset) in (${some.map(() => '(?, ?, ?)').join(', ')})`, [schema, ...some.flat()])
    ).rows;
    for (const carrier of found) verifier.learnCarriers(carrier.topic, carrier.partition, [{ offset: String(carrier.kafka_offset), headers: storedHeaders(carrier.headers) }]);
  }
};
