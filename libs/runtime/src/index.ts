export { startOpsServer, createMetricsRegistry } from './opsServer';
export type { HealthReport, OpsServer } from './opsServer';
