export { startOpsServer, createMetricsRegistry, databaseCheck } from './opsServer';
export { runService } from './runService';
export type { HealthReport, OpsServer, OpsRoute } from './opsServer';
export { batchMetrics, consumerHealth } from './sinkMetrics';
export type { BatchObservation } from './sinkMetrics';
