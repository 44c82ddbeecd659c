export { startOpsServer, serveOps, createMetricsRegistry, databaseCheck } from './opsServer';
export { runService } from './runService';
export type { RunServiceOptions, StartedService } from './runService';
export { connectionDependencies, unavailable } from './dependencies';
export type { Dependency, Unavailable } from './dependencies';
export type { HealthReport, OpsServer, OpsHandlers, OpsRoute } from './opsServer';
export { consumerHealth, consumerMetrics, startConsumerService } from './sinkMetrics';
export type { BatchObservation, ConsumerBatch, ConsumerState } from './sinkMetrics';
