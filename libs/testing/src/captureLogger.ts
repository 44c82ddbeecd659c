import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@agentbus/logger';

export interface CapturedLogger {
  logger: Logger;
  /** Every line logged so far, parsed. */
  lines: { level: string; msg: string; [field: string]: unknown }[];
  /** Everything logged so far, as written (to search for what must never appear, like a key). */
  text(): string;
}

/** A JSON logger whose lines a test reads back, with levels named (`"level":"warn"`). */
export const captureLogger = (name: string, level: 'debug' | 'info' | 'warn' = 'info'): CapturedLogger => {
  const lines: CapturedLogger['lines'] = [];
  let text = '';
  const logger = createLogger({
    name,
    level,
    pretty: false,
    destination: new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    }),
  });
  return { logger, lines, text: () => text };
};
