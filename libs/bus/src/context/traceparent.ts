import { randomFillSync } from 'node:crypto';

// W3C Trace Context: version-traceid-parentid-flags. https://www.w3.org/TR/trace-context/#traceparent-header
const format = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

// One span id per consumed event: drawing them from a pool avoids a randomBytes call each time.
const pool = Buffer.alloc(4096);
let used = pool.length;
const randomHex = (bytes: number): string => {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += bytes;
  return pool.toString('hex', used - bytes, used);
};

export const newTraceparent = (): string => `00-${randomHex(16)}-${randomHex(8)}-01`;

/** Same trace, new span: what a handler's own publishes carry. */
export const childTraceparent = (parent: string | undefined): string => {
  const match = parent ? format.exec(parent) : null;
  if (!match || /^0+$/.test(match[1]!)) return newTraceparent();
  return `00-${match[1]}-${randomHex(8)}-${match[3]}`;
};

export const traceIdOf = (traceparent: string): string | undefined => format.exec(traceparent)?.[1];
