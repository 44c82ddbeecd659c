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
  /** Lists the dead-letter topic to its end (to replay), with readToEnd's throwaway consumer groups. */
  readsDeadLetters?: boolean;
  /** Variables taken from a Secret you create (docs/deploy.md): its name and, per variable, its key. */
  secretEnv?: { secret: string; keys: Readonly<Record<string, string>> };
  /** A Vite web app the service serves: its folder (built into `dist/`), copied into the image where `variable` points. */
  webApp?: { dir: string; variable: string };
}

export const deployedServices: readonly DeployedService[] = [
  { name: 'projector', httpPort: 9401, portVariable: 'PROJECTOR_HTTP_PORT', writes: [], signs: true },
  // A saga turns events of any category into commands of any category.
  { name: 'saga-orchestrator', httpPort: 9402, portVariable: 'SAGA_ORCHESTRATOR_HTTP_PORT', writes: ['*'], signs: true },
  { name: 'presence-monitor', httpPort: 9403, portVariable: 'PRESENCE_MONITOR_HTTP_PORT', writes: ['agent'], signs: true },
  { name: 'audit-sink', httpPort: 9404, portVariable: 'AUDIT_SINK_HTTP_PORT', writes: [], signs: false },
  // Publishes operator.action (signed, so an action names its console) and replays dead letters to
  // their source topics, which may be of any category.
  {
    name: 'console',
    httpPort: 9405,
    portVariable: 'CONSOLE_HTTP_PORT',
    writes: ['*'],
    signs: true,
    readsDeadLetters: true,
    secretEnv: { secret: 'agentbus-console', keys: { CONSOLE_USERS: 'users', CONSOLE_SESSION_SECRET: 'session-secret' } },
    webApp: { dir: 'services/console/web', variable: 'CONSOLE_WEB_DIR' },
  },
];
