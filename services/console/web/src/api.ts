import type { AgentView, DeadLetterView, Page, SagaSummary as SagaSummaryView, Wire } from '../../src/views';

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

export type { Page };
export type Agent = Wire<AgentView>;
export type SagaSummary = Wire<SagaSummaryView>;
export type DeadLetter = Wire<DeadLetterView>;

export interface Me {
  user: string;
  role: 'viewer' | 'operator';
}


export interface Overview {
  agents: Record<string, number>;
  sagas: Record<string, number>;
  eventsPerSecond: Record<string, number>;
  deadLettersWaiting: number | null;
  consumerLag: { consumer: string; lag: number; partitions: number }[] | null;
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


export interface ChainHead {
  topic: string;
  partition: number;
  rows: string;
  nextOffset: string;
  lastHash: string;
  updatedAt: string;
}
