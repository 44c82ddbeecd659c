// The long-running agentbus services as deployed: what each image is, where its health endpoint
// listens, and which topics it writes besides reading them all. Compose, the Kubernetes manifests,
// the Strimzi users and the Dockerfiles are checked against this table.
import type { EventCategory } from '@agentbus/events';

export interface DeployedService {
  name: string;
  httpPort: number;
  /** The variable the service reads its health/metrics port from. */
  portVariable: string;
  /** Topics (by category) it publishes to; every service reads every category and may dead-letter. */
  writes: readonly (EventCategory | '*')[];
  /** Publishes events, so signs them with its own key (the Secret agentbus-signing-<name>). */
  signs: boolean;
}

export const deployedServices: readonly DeployedService[] = [
  { name: 'projector', httpPort: 9401, portVariable: 'PROJECTOR_HTTP_PORT', writes: [], signs: true },
  // A saga turns events of any category into commands of any category.
  { name: 'saga-orchestrator', httpPort: 9402, portVariable: 'SAGA_ORCHESTRATOR_HTTP_PORT', writes: ['*'], signs: true },
  { name: 'presence-monitor', httpPort: 9403, portVariable: 'PRESENCE_MONITOR_HTTP_PORT', writes: ['agent'], signs: true },
  { name: 'audit-sink', httpPort: 9404, portVariable: 'AUDIT_SINK_HTTP_PORT', writes: [], signs: false },
];
