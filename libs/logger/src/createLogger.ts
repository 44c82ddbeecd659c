import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface LoggerSettings {
  name: string;
  level?: string;
  /** Human-readable output; defaults to on when stdout is a terminal. */
  pretty?: boolean;
  destination?: pino.DestinationStream;
}

// Anything that could carry a credential is censored before it is written.
const redactPaths = [
  'password',
  '*.password',
  '*.*.password',
  'sasl',
  '*.sasl',
  '*.*.sasl',
  'auth',
  '*.auth',
  'headers.authorization',
  'connectionString',
  '*.connectionString',
];

export const createLogger = (settings: LoggerSettings): Logger => {
  const options: LoggerOptions = {
    name: settings.name,
    level: settings.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: redactPaths, censor: '[redacted]' },
    base: { service: settings.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (settings.destination) return pino(options, settings.destination);
  const pretty = settings.pretty ?? (process.env.LOG_FORMAT ? process.env.LOG_FORMAT === 'pretty' : process.stdout.isTTY === true);
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname,service' } } });
  }
  return pino(options);
};

interface Traceable {
  id: string;
  type?: string;
  metadata?: { correlationId?: string | undefined; causationId?: string | undefined };
}

/** A child logger whose every line carries the event's correlationId and causationId. */
export const loggerForEvent = (logger: Logger, event: Traceable): Logger =>
  logger.child({
    eventId: event.id,
    ...(event.type ? { eventType: event.type } : {}),
    ...(event.metadata?.correlationId ? { correlationId: event.metadata.correlationId } : {}),
    ...(event.metadata?.causationId ? { causationId: event.metadata.causationId } : {}),
  });

/** URLs in logs keep host and path but never a password. */
export const redactUrl = (url: string): string => {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
};
