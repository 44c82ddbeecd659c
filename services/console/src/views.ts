// The console's API answers, shared by the server and the web app. No imports: the web app's
// compiler checks this file alone. Dates are Date here and strings on the wire (Wire<T>).

/** A JSON answer as the browser receives it: dates become ISO strings. */
export type Wire<T> = T extends Date ? string : T extends (infer U)[] ? Wire<U>[] : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface AgentView {
  agentId: string;
  status: string;
  agentClass: string | null;
  capabilities: string[];
  capacity: number;
  load: number | null;
  inFlight: number | null;
  health: string | null;
  backpressure: string | null;
  lastHeartbeatAt: Date | null;
  lastSeenAt: Date;
  suspectedAt: Date | null;
}

export interface SagaSummary {
  saga_id: string;
  saga_name: string | null;
  status: string | null;
  current_step: string | null;
  failed_step: string | null;
  requested_at: Date | null;
  finished_at: Date | null;
  correlation_id: string | null;
}

export interface DeadLetterView {
  ref: string;
  partition: number;
  offset: string;
  failedAt: string | null;
  code: string;
  reason: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  subscription: string;
  service: string;
  attempts: number;
  key: string | null;
  bytes: number;
}
