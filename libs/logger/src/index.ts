export { createLogger, loggerForEvent, redactUrl } from './createLogger';
export type { Logger, LoggerSettings } from './createLogger';
