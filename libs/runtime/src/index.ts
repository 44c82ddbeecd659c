export { startOpsServer, createMetricsRegistry } from './opsServer';
export type { HealthReport, OpsServer, OpsRoute } from './opsServer';
