import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

// ulid draws one random byte per character, 16 per new millisecond, each its own getRandomValues
// call (12 % of a publish profile). The same cryptographic bytes, drawn 4 KiB at a time.
const pool = Buffer.alloc(4096);
let used = pool.length;
const pooledRandom = (): number => {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  // 256 / 32 characters: every character equally likely.
  return pool[used++]! / 256;
};

const nextUlid = monotonicFactory(pooledRandom);

/** ULIDs sort by creation time, so event ids order the way events happened on one producer. */
export const newEventId = (now: number = Date.now()): string => nextUlid(now);
