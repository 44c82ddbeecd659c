import { randomBytes } from 'node:crypto';

// W3C Trace Context: version-traceid-parentid-flags. https://www.w3.org/TR/trace-context/#traceparent-header
const format = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export const newTraceparent = (): string => `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;

/** Same trace, new span: what a handler's own publishes carry. */
export const childTraceparent = (parent: string | undefined): string => {
  const match = parent ? format.exec(parent) : null;
  if (!match || /^0+$/.test(match[1]!)) return newTraceparent();
  return `00-${match[1]}-${randomBytes(8).toString('hex')}-${match[3]}`;
};

export const traceIdOf = (traceparent: string): string | undefined => format.exec(traceparent)?.[1];
