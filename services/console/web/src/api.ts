export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Every call carries the session cookie; a 401 sends the browser to the login page. */
export const api = async <T,>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: init.body === undefined ? {} : { 'Content-Type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (res.status === 401 && path !== '/api/login') {
    if (location.pathname !== '/login') location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new HttpError(401, 'not logged in');
  }
  if (!res.ok) throw new HttpError(res.status, ((await res.json().catch(() => ({}))) as { error?: string }).error ?? res.statusText);
  return (await res.json()) as T;
};

export interface Me {
  user: string;
  role: 'viewer' | 'operator';
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface Overview {
  agents: Record<string, number>;
  sagas: Record<string, number>;
  eventsPerSecond: Record<string, number>;
  deadLettersWaiting: number | null;
  consumerLag: { consumer: string; lag: number; partitions: number }[] | null;
}

export interface Agent {
  agentId: string;
  status: string;
  agentClass: string | null;
  capabilities: string[];
  capacity: number;
  load: number | null;
  inFlight: number | null;
  health: string | null;
  backpressure: string | null;
  lastHeartbeatAt: string | null;
  lastSeenAt: string;
  suspectedAt: string | null;
}

export interface SagaSummary {
  saga_id: string;
  saga_name: string | null;
  status: string | null;
  current_step: string | null;
  failed_step: string | null;
  requested_at: string | null;
  finished_at: string | null;
  correlation_id: string | null;
}

export interface SagaDetail {
  saga: SagaSummary & { reason: string | null; alerted: boolean | null; started_at: string | null };
  timeline: { event_id: string; occurred_at: string; type: string; step_id: string | null; phase: string | null; attempt: number | null; agent_id: string | null; detail: string | null }[];
}

export interface TraceNode {
  eventId: string;
  type: string;
  source: string;
  at: string;
  sinceStartMs: number;
  sinceCauseMs: number | null;
  missingCause?: string;
  children: TraceNode[];
}

export interface Trace {
  correlationId: string;
  events: number;
  agents: string[];
  startedAt: string | null;
  durationMs: number;
  roots: TraceNode[];
}

export interface DeadLetter {
  ref: string;
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

export interface ChainHead {
  topic: string;
  partition: number;
  rows: string;
  nextOffset: string;
  lastHash: string;
  updatedAt: string;
}
