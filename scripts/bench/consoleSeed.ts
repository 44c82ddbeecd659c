import type { Knex } from 'knex';
import { deadLetterTopicSuffix, eventTypeCategories, newEventId, topicName } from '@agentbus/events';
import { createOffsetsTable } from '@agentbus/postgres-sink';
import { migratePresence } from '@agentbus/presence';
import { DeadLetterHeaders } from '@agentbus/bus';
import { nowMs } from './stats';

export interface ConsoleVolumes {
  /** Rows of read.events (and, with the dead letters and their re-published copies, of the audit trail). */
  events: number;
  agents: number;
  sagas: number;
  deadLetters: number;
}

/** What the seed chose for the pages to ask about. */
export interface SeededTargets {
  /** Agent id in the middle of the list: a deep page's cursor. */
  agentCursor: string;
  /** The capability most online agents share: the largest capability filter. */
  capability: string;
  /** Saga id in the middle of the newest-first list. */
  sagaCursor: string;
  /** Sagas to open, search for and trace (those with exactly 10 events in their trace). */
  sagaIds: string[];
  tracedSagaIds: string[];
  eventIds: string[];
  counts: Record<string, number>;
}

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * SQL for a ULID's first ten characters (48-bit milliseconds in Crockford base32, as the `ulid`
 * package and so newEventId write them), from a bigint expression: seeded ids sort by time like
 * real ones.
 */
export const ulidTimeSql = (ms: string): string =>
  [45, 40, 35, 30, 25, 20, 15, 10, 5, 0].map((shift) => `substr('${crockford}', ((${ms} >> ${shift}) & 31)::int + 1, 1)`).join(' || ');

const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** `case type when 'task.created' then 'task' … end`, from the events catalogue. */
export const categorySql = (column: string): string =>
  `case ${column} ${Object.entries(eventTypeCategories)
    .map(([type, category]) => `when ${literal(type)} then ${literal(category)}`)
    .join(' ')} else 'system' end`;

const agentClasses = ['summariser', 'classifier', 'planner', 'retriever', 'coder', 'reviewer', 'translator', 'extractor'];
// Ordered from common to rare: an agent's first capability is drawn with a skew towards the front.
const capabilities = ['summarise', 'classify', 'extract', 'translate', 'search', 'plan', 'code', 'review', 'embed', 'ocr', 'transcribe', 'sql', 'forecast', 'negotiate', 'schedule', 'draft-email', 'kyc-check', 'fraud-score', 'price', 'route'];
const sagaNames = [
  ['order', 0.45],
  ['pipeline', 0.65],
  ['refund', 0.8],
  ['kyc-review', 0.9],
  ['onboarding', 0.97],
  ['report', 1],
] as const;

const array = (items: readonly string[]): string => `array[${items.map(literal).join(', ')}]`;

/** Helper functions in a scratch schema the seed drops at the end; deterministic, so every run seeds the same rows. */
const functions = [
  `create function bench_seed.u(salt text, n bigint) returns double precision language sql immutable parallel safe
     as $$ select ('x' || substr(md5(salt || n::text), 1, 8))::bit(32)::bigint / 4294967296.0 $$`,
  `create function bench_seed.ms(t timestamptz) returns bigint language sql immutable parallel safe
     as $$ select floor(extract(epoch from t) * 1000)::bigint $$`,
  `create function bench_seed.ulid(t_ms bigint, salt text, n bigint) returns text language sql immutable parallel safe
     as $$ select ${ulidTimeSql('t_ms')} || upper(substr(md5(salt || n::text), 1, 16)) $$`,
  `create function bench_seed.agent_id(k bigint) returns text language sql immutable parallel safe
     as $$ select (${array(agentClasses)})[1 + (k % ${agentClasses.length})::int] || '-' || lpad(k::text, 5, '0') $$`,
  `create function bench_seed.category(type text) returns text language sql immutable parallel safe
     as $$ select ${categorySql('type')} $$`,
];

// The sagas: spread over the day, newest last; 3-11 events each (mean 7); the newest 3 % mostly still running.
const sagaRows = `
create unlogged table bench_seed.sagas as
select s, at, bench_seed.ulid(bench_seed.ms(at), 'saga', s) as saga_id, bench_seed.ulid(bench_seed.ms(at), 'corr', s) as correlation_id,
       3 + floor(bench_seed.u('sn', s) * 9)::int as n_events, 0.2 + bench_seed.u('sg', s) * 2.8 as gap_s,
       case ${sagaNames.map(([name, upTo]) => `when bench_seed.u('name', s) < ${upTo} then ${literal(name)}`).join(' ')} end as saga_name,
       case when s > p.sagas * 0.97 and bench_seed.u('st', s) < 0.7 then 'running'
            when bench_seed.u('st', s) < 0.83 then 'completed'
            when bench_seed.u('st', s) < 0.91 then 'failed'
            when bench_seed.u('st', s) < 0.915 then 'failed_compensation'
            when bench_seed.u('st', s) < 0.92 then 'compensating'
            else 'completed' end as status
from bench_seed.params p, generate_series(1, p.sagas) s,
     lateral (select p.t0 + (s - 1 + bench_seed.u('sj', s)) * ((86400.0 - 60) / p.sagas) * interval '1 second' as at) t`;

// Each saga's events: requested, started, then dispatched / assigned / completed / step completed per
// step, and its end (completed, or a step failure, compensating and failed). One correlation id,
// each event caused by the one before.
const sagaEvents = `
insert into bench_seed.staged (event_id, type, source, occurred_at, entity_key, correlation_id, causation_id, payload)
select event_id, type, source, occurred_at, entity_key, correlation_id, lag(event_id) over (partition by s order by j), payload
from (
  select s, j, type, occurred_at, correlation_id,
         case when j = 1 then correlation_id else bench_seed.ulid(bench_seed.ms(occurred_at), 'ev', s * 16 + j) end as event_id,
         case when type like 'task.%' then saga_id || '-step-' || step else saga_id end as entity_key,
         case type when 'workflow.requested' then 'did:agent:shop' when 'task.completed' then bench_seed.agent_id(agent) else 'saga-orchestrator' end as source,
         case type
           when 'workflow.requested' then jsonb_build_object('sagaId', saga_id, 'sagaName', saga_name, 'requestedBy', 'did:agent:shop', 'input', '{"orderId":"o-' || s || '","items":[{"sku":"sku-' || (s % 977) || '","quantity":1}],"amount":' || (s % 500) || '}')
           when 'task.assigned' then jsonb_build_object('taskId', saga_id || '-step-' || step, 'agentId', bench_seed.agent_id(agent), 'assignedBy', 'saga-orchestrator', 'description', saga_name || ' step ' || step)
           when 'task.completed' then jsonb_build_object('taskId', saga_id || '-step-' || step, 'result', jsonb_build_object('status', 'success', 'output', '{}', 'metrics', jsonb_build_object('durationMs', (bench_seed.u('dur', s * 16 + j) * 4000)::int, 'tokensUsed', (bench_seed.u('tok', s * 16 + j) * 2000)::int)))
           else jsonb_build_object('sagaId', saga_id, 'stepId', 'step-' || step, 'phase', case when type like 'saga.compensat%' then 'compensation' else 'forward' end, 'attempt', 1, 'agentId', bench_seed.agent_id(agent))
         end as payload
  from (
    select g.s, j, g.saga_id, g.correlation_id, g.saga_name, g.at + (j - 1) * g.gap_s * interval '1 second' as occurred_at,
           greatest(1, 1 + (j - 3) / 4) as step, 1 + floor(bench_seed.u('agent', g.s * 16 + greatest(1, 1 + (j - 3) / 4)) * p.agents)::bigint as agent,
           case
             when j = 1 then 'workflow.requested'
             when j = 2 then 'saga.started'
             when j = g.n_events and g.status = 'completed' then 'saga.completed'
             when j = g.n_events and g.status in ('failed', 'failed_compensation') then 'saga.failed'
             when j = g.n_events and g.status = 'compensating' then 'saga.compensating'
             when j = g.n_events - 1 and g.status in ('failed', 'failed_compensation') then 'saga.compensating'
             when j = g.n_events - 2 and g.status in ('failed', 'failed_compensation') then 'saga.step.failed'
             else (array['saga.step.dispatched', 'task.assigned', 'task.completed', 'saga.step.completed'])[1 + (j - 3) % 4]
           end as type
    from bench_seed.params p, bench_seed.sagas g, generate_series(1, g.n_events) j
  ) e
) x`;

// The rest of the day's traffic around the sagas: heartbeats, stand-alone tasks (four events per
// task, one correlation), decisions, trust, data and a few operator actions (audit verifications).
const otherEvents = `
insert into bench_seed.staged (event_id, type, source, occurred_at, entity_key, correlation_id, causation_id, payload)
select event_id, type,
       case when type in ('task.created') then 'planner' when type = 'task.assigned' then 'orchestrator' when type in ('action.approved', 'action.vetoed') then 'human:alice'
            when type in ('score.updated', 'violation.detected') then 'governor' when type = 'operator.action' then 'agentbus-console' else bench_seed.agent_id(agent) end,
       occurred_at,
       case when type like 'task.%' then 'task-' || (o / 4) when type like 'action.%' then 'action-' || (o / 3) when type like 'document.%' or type like 'embedding.%' then 'doc-' || o
            when type = 'operator.action' then 'agentbus-console' else bench_seed.agent_id(agent) end,
       case when type like 'task.%' then bench_seed.ulid(bench_seed.ms(group_at), 'task', o / 4) else event_id end,
       null,
       case type
         when 'agent.heartbeat' then jsonb_build_object('agentId', bench_seed.agent_id(agent), 'status', 'healthy', 'load', round(bench_seed.u('load', o)::numeric, 3), 'memoryUsageBytes', 200000000 + (o % 1000) * 100000, 'inFlight', o % 4)
         when 'task.created' then jsonb_build_object('taskId', 'task-' || (o / 4), 'description', 'Summarise the attached quarterly filing and list every figure that changed by more than ten percent since the previous quarter', 'priority', (array['low', 'normal', 'high', 'critical'])[1 + (o % 4)::int], 'domain', 'financial')
         when 'operator.action' then jsonb_build_object('operator', 'olga', 'role', 'operator', 'action', 'audit.verify', 'target', '{"topic":"all"}', 'outcome', '{"ok":true,"verified":' || o || ',"partitions":24,"problems":[]}')
         else jsonb_build_object('entity', type, 'agentId', bench_seed.agent_id(agent), 'detail', md5(o::text) || md5((o + 1)::text))
       end
from (
  select o, at as occurred_at, bench_seed.ulid(bench_seed.ms(at), 'other', o) as event_id, 1 + floor(bench_seed.u('who', o) * p.agents)::bigint as agent,
         p.t0 + ((o / 4) * 4) * (86400.0 / n.m) * interval '1 second' as group_at,
         case when bench_seed.u('type', o) < 0.50 then 'agent.heartbeat'
              when o % 4 = 0 and bench_seed.u('type', o) < 0.70 then 'task.created'
              when o % 4 = 1 and bench_seed.u('type', o) < 0.70 then 'task.assigned'
              when o % 4 = 2 and bench_seed.u('type', o) < 0.70 then 'task.acknowledged'
              when o % 4 = 3 and bench_seed.u('type', o) < 0.66 then 'task.completed'
              when o % 4 = 3 and bench_seed.u('type', o) < 0.70 then 'task.failed'
              when bench_seed.u('type', o) < 0.75 then 'action.proposed'
              when bench_seed.u('type', o) < 0.79 then 'action.approved'
              when bench_seed.u('type', o) < 0.80 then 'action.vetoed'
              when bench_seed.u('type', o) < 0.87 then 'score.updated'
              when bench_seed.u('type', o) < 0.88 then 'violation.detected'
              when bench_seed.u('type', o) < 0.94 then 'document.processed'
              when bench_seed.u('type', o) < 0.9999 then 'embedding.generated'
              else 'operator.action' end as type
  from bench_seed.params p,
       lateral (select greatest(p.events - (select count(*) from bench_seed.staged), 0) as m) n,
       generate_series(1, n.m) o,
       lateral (select p.t0 + (o - 1 + bench_seed.u('oj', o)) * (86400.0 / n.m) * interval '1 second' as at) t
) x`;

// Topic, partition (by key, as the producer's partitioner would spread them) and offsets in order of time.
const placedEvents = `
create unlogged table bench_seed.events as
select s.*, p.prefix || '.' || bench_seed.category(s.type) as topic, k.partition,
       row_number() over (partition by bench_seed.category(s.type), k.partition order by s.occurred_at, s.event_id) - 1 as kafka_offset,
       case when s.type = 'task.assigned' then 'task.assigned.' || coalesce(s.payload ->> 'agentId', 'any') else s.type end as routing_key,
       s.occurred_at + (20 + bench_seed.u('rec', hashtext(s.event_id)) * 60) * interval '1 millisecond' as recorded_at
from bench_seed.staged s, bench_seed.params p, lateral (select (hashtext(s.entity_key) & 2147483647) % 3 as partition) k`;

const readModelEvents = (schema: string) => `
insert into ${schema}.events (event_id, type, routing_key, source, occurred_at, entity_key, correlation_id, causation_id, schema_version, payload, topic, partition, kafka_offset, schema_id, recorded_at)
select event_id, type, routing_key, source, occurred_at, entity_key, correlation_id, causation_id, '1', payload, topic, partition, kafka_offset, 1, recorded_at from bench_seed.events`;

// The audit trail holds every record: the events as stored above (bytes: a wire header and the
// payload; real records hold Avro), their headers, and hashes that only look like a chain.
const auditColumns = 'topic, partition, kafka_offset, position, kafka_timestamp, record_key, raw, headers, event_id, type, routing_key, source, occurred_at, correlation_id, causation_id, schema_id, schema_version, payload, decode_error, prev_hash, hash, recorded_at';
const auditEvents = `
insert into audit.records (${auditColumns})
select topic, partition, kafka_offset, kafka_offset, occurred_at, convert_to(entity_key, 'UTF8'), '\\x0000000001'::bytea || convert_to(payload::text, 'UTF8'),
       jsonb_build_object('agentbus-routing-key', routing_key, 'traceparent', '00-' || md5(event_id) || '-' || substr(md5(event_id || 's'), 1, 16) || '-01'),
       event_id, type, routing_key, source, occurred_at, correlation_id, causation_id, 1, '1', payload, null,
       decode(md5('p' || event_id) || md5('q' || event_id), 'hex'), decode(md5('h' || event_id) || md5('i' || event_id), 'hex'), recorded_at + interval '40 milliseconds'
from bench_seed.events`;

// Dead letters: records of the day that a subscriber gave up on, copied to the dlq topic with the
// bus's dead-letter headers; 30 % of them were re-published later (a copy in the source topic
// that names the dead letter it came from), so they no longer wait.
const deadLetterRows = `
create unlogged table bench_seed.dead as
select e.*, (d % 3)::int as dlq_partition, (d - 1) / 3 as dlq_offset,
       case when bench_seed.u('code', d) < 0.2 then 'EVENT_UNDECODABLE' when bench_seed.u('code', d) < 0.8 then 'HANDLER_FAILED' when bench_seed.u('code', d) < 0.9 then 'EVENT_INVALID' else 'SCHEMA_NOT_FOUND' end as code,
       (array['projector', 'worker.tasks', 'saga-orchestrator', 'billing.invoices'])[1 + (d % 4)::int] as subscription,
       e.recorded_at + (1 + bench_seed.u('late', d) * 600) * interval '1 second' as failed_at,
       bench_seed.u('replayed', d) < 0.3 as replayed
from (select row_number() over (order by bench_seed.u('dead', hashtext(event_id)), event_id) as d, * from bench_seed.events) e, bench_seed.params p
where e.d <= p.dead_letters`;

const dlqHeaders = (d: string) => `jsonb_build_object(
  ${literal(DeadLetterHeaders.reason)}, case ${d}.code when 'EVENT_UNDECODABLE' then 'Cannot decode event: wrong magic byte 110, expected 0' when 'HANDLER_FAILED' then 'Error: upstream model returned 503 after 3 attempts' when 'EVENT_INVALID' then 'payload.amount: must be >= 0' else 'no schema with id 41 in the registry' end,
  ${literal(DeadLetterHeaders.code)}, ${d}.code,
  ${literal(DeadLetterHeaders.sourceTopic)}, ${d}.topic,
  ${literal(DeadLetterHeaders.sourcePartition)}, ${d}.partition::text,
  ${literal(DeadLetterHeaders.sourceOffset)}, ${d}.kafka_offset::text,
  ${literal(DeadLetterHeaders.subscription)}, ${d}.subscription,
  ${literal(DeadLetterHeaders.service)}, split_part(${d}.subscription, '.', 1),
  ${literal(DeadLetterHeaders.attempts)}, '3',
  ${literal(DeadLetterHeaders.failedAt)}, bench_seed.ms(${d}.failed_at)::text)`;

const auditDeadLetters = `
insert into audit.records (${auditColumns})
select p.dlq_topic, d.dlq_partition, d.dlq_offset, d.dlq_offset, d.failed_at, convert_to(d.entity_key, 'UTF8'),
       case when d.code = 'EVENT_UNDECODABLE' then convert_to('not avro', 'UTF8') else '\\x0000000001'::bytea || convert_to(d.payload::text, 'UTF8') end,
       jsonb_build_object('agentbus-routing-key', d.routing_key) || ${dlqHeaders('d')},
       ${['event_id', 'type', 'routing_key', 'source', 'occurred_at', 'correlation_id', 'causation_id'].map((c) => `case when d.code = 'EVENT_UNDECODABLE' then null else d.${c} end`).join(', ')},
       case when d.code = 'EVENT_UNDECODABLE' then null else 1 end, case when d.code = 'EVENT_UNDECODABLE' then null else '1' end,
       case when d.code = 'EVENT_UNDECODABLE' then null else d.payload end,
       case when d.code = 'EVENT_UNDECODABLE' then 'wrong magic byte 110, expected 0' else null end,
       decode(md5('dp' || d.d) || md5('dq' || d.d), 'hex'), decode(md5('dh' || d.d) || md5('di' || d.d), 'hex'), d.failed_at + interval '50 milliseconds'
from bench_seed.dead d, (select prefix || '.${deadLetterTopicSuffix}' as dlq_topic from bench_seed.params) p`;

const auditRepublished = `
insert into audit.records (${auditColumns})
select d.topic, d.partition, last.next_offset + row_number() over (partition by d.topic, d.partition order by d.d) - 1, last.next_offset + row_number() over (partition by d.topic, d.partition order by d.d) - 1,
       d.failed_at + interval '10 minutes', convert_to(d.entity_key, 'UTF8'), '\\x0000000001'::bytea || convert_to(d.payload::text, 'UTF8'),
       jsonb_build_object('agentbus-routing-key', d.routing_key, 'agentbus-republished-from', p.dlq_topic || '/' || d.dlq_partition || '/' || d.dlq_offset),
       d.event_id, d.type, d.routing_key, d.source, d.occurred_at, d.correlation_id, d.causation_id, 1, '1', d.payload, null,
       decode(md5('rp' || d.d) || md5('rq' || d.d), 'hex'), decode(md5('rh' || d.d) || md5('ri' || d.d), 'hex'), d.failed_at + interval '10 minutes'
from bench_seed.dead d, (select prefix || '.${deadLetterTopicSuffix}' as dlq_topic from bench_seed.params) p,
     (select topic, partition, max(kafka_offset) + 1 as next_offset from bench_seed.events group by topic, partition) last
where d.replayed and last.topic = d.topic and last.partition = d.partition`;

const chainHeads = `
insert into audit.chain_heads (topic, partition, next_offset, rows, last_hash, updated_at)
select topic, partition, max(kafka_offset) + 1, count(*), decode(md5(topic || partition) || md5(partition || topic), 'hex'), max(recorded_at) from audit.records group by topic, partition`;

const sagaReadModel = (schema: string) => `
insert into ${schema}.sagas (saga_id, saga_name, status, input, correlation_id, requested_by, requested_at, started_at, current_step, failed_step, reason, output, alerted, updated_at, finished_at)
select g.saga_id, g.saga_name, g.status, jsonb_build_object('orderId', 'o-' || g.s, 'amount', g.s % 500), g.correlation_id, 'did:agent:shop', g.at, g.at + g.gap_s * interval '1 second',
       case when g.status = 'running' then 'step-' || greatest(1, 1 + (g.n_events - 3) / 4) end,
       case when g.status in ('failed', 'failed_compensation', 'compensating') then 'step-' || greatest(1, 1 + (g.n_events - 5) / 4) end,
       case when g.status in ('failed', 'failed_compensation', 'compensating') then 'payment declined: card expired' end,
       case when g.status = 'completed' then '{"ok":true}'::jsonb end,
       g.status = 'failed_compensation',
       last.at, case when g.status in ('completed', 'failed', 'failed_compensation') then last.at end
from bench_seed.sagas g, lateral (select g.at + (g.n_events - 1) * g.gap_s * interval '1 second' as at) last`;

const sagaTimeline = (schema: string) => `
insert into ${schema}.saga_timeline (event_id, saga_id, occurred_at, type, step_id, phase, attempt, agent_id, detail)
select event_id, payload ->> 'sagaId', occurred_at, type, payload ->> 'stepId', payload ->> 'phase', (payload ->> 'attempt')::int, payload ->> 'agentId',
       case type when 'workflow.requested' then (payload ->> 'sagaName') || ' requested by did:agent:shop' when 'saga.step.dispatched' then 'task.assigned ' || (payload ->> 'stepId') else null end
from bench_seed.events where type like 'saga.%' or type = 'workflow.requested'`;

const tasks = (schema: string) => `
insert into ${schema}.tasks (task_id, status, description, priority, domain, required_capability, assignee, attempts, created_at, assigned_at, acknowledged_at, completed_at, failed_at, duration_ms, tokens_used, last_error, correlation_id, updated_at, last_event_id)
select task_id, (array_agg(split_part(type, '.', 2) order by occurred_at desc))[1], max(payload ->> 'description'), max(payload ->> 'priority'), max(payload ->> 'domain'), null,
       max(payload ->> 'agentId'), 1, min(occurred_at), min(occurred_at) filter (where type = 'task.assigned'), min(occurred_at) filter (where type = 'task.acknowledged'),
       min(occurred_at) filter (where type = 'task.completed'), min(occurred_at) filter (where type = 'task.failed'),
       max((payload #>> '{result,metrics,durationMs}')::bigint), max((payload #>> '{result,metrics,tokensUsed}')::bigint),
       case when bool_or(type = 'task.failed') then 'model timeout' end, max(correlation_id), max(occurred_at), (array_agg(event_id order by occurred_at desc))[1]
from (select coalesce(payload ->> 'taskId', entity_key) as task_id, * from bench_seed.events where type like 'task.%') t
group by task_id`;

// The presence read model: 85 % online, 2 % suspected, the rest offline; 1-3 capabilities each.
const presenceAgents = `
insert into presence.agents (agent_id, partition, status, agent_class, capabilities, specializations, capacity, heartbeat_interval_ms, health, load, memory_usage_bytes, in_flight,
                             backpressure_state, backpressure_since, backpressure_queue_size, last_seen_at, last_heartbeat_at, suspected_at, timeout_ms, updated_at)
select id, (hashtext(id) & 2147483647) % 3, status, split_part(id, '-', 1), caps, array['financial'], capacity, 5000,
       case when bench_seed.u('health', k) < 0.95 then 'healthy' when bench_seed.u('health', k) < 0.99 then 'degraded' else 'unhealthy' end,
       round(bench_seed.u('load', k)::numeric, 3), 150000000 + k * 1000, floor(bench_seed.u('busy', k) * capacity)::int,
       case when bench_seed.u('bp', k) < 0.02 then 'paused' when bench_seed.u('bp', k) < 0.10 then 'resumed' end,
       case when bench_seed.u('bp', k) < 0.10 then p.t_end - bench_seed.u('bps', k) * interval '60 seconds' end,
       case when bench_seed.u('bp', k) < 0.02 then 100 end,
       seen, case when status = 'offline' then seen - interval '5 seconds' else seen end, case when status = 'suspected' then seen + interval '30 seconds' end, 30000, seen
from bench_seed.params p, generate_series(1, p.agents) k,
     lateral (select bench_seed.agent_id(k) as id,
                     case when bench_seed.u('status', k) < 0.85 then 'online' when bench_seed.u('status', k) < 0.87 then 'suspected' else 'offline' end as status,
                     1 + floor(bench_seed.u('capacity', k) * 16)::int as capacity,
                     array(select distinct c from unnest(array[
                       (${array(capabilities)})[1 + floor(power(bench_seed.u('cap1', k), 2) * ${capabilities.length})::int],
                       case when bench_seed.u('has2', k) < 0.6 then (${array(capabilities)})[1 + floor(bench_seed.u('cap2', k) * ${capabilities.length})::int] end,
                       case when bench_seed.u('has3', k) < 0.25 then (${array(capabilities)})[1 + floor(bench_seed.u('cap3', k) * ${capabilities.length})::int] end]) c where c is not null) as caps) a,
     lateral (select case a.status when 'online' then p.t_end - bench_seed.u('seen', k) * interval '5 seconds'
                                   when 'suspected' then p.t_end - (30 + bench_seed.u('seen', k) * 60) * interval '1 second'
                                   else p.t_end - bench_seed.u('seen', k) * interval '24 hours' end as seen) s`;

const projectedAgents = (schema: string) => `
insert into ${schema}.agents (agent_id, state, agent_class, capabilities, capacity, specializations, heartbeat_interval_ms, last_heartbeat_at, health, load, memory_usage_bytes, in_flight,
                              backpressure_state, backpressure_since, backpressure_queue_size, last_seen_at, suspected_at, updated_at)
select agent_id, status, agent_class, capabilities, capacity, specializations, heartbeat_interval_ms, last_heartbeat_at, health, load, memory_usage_bytes, in_flight,
       backpressure_state, backpressure_since, backpressure_queue_size, last_seen_at, suspected_at, updated_at
from presence.agents`;

// Every consumer caught up: the projector over all topics, the presence monitor over the agent topic.
const offsets = (schema: string) => `
insert into ${schema}.consumer_offsets (consumer, topic, partition, next_offset)
select 'projector', topic, partition, max(kafka_offset) + 1 from bench_seed.events group by topic, partition`;
const presenceOffsets = `
insert into presence.consumer_offsets (consumer, topic, partition, next_offset)
select 'presence-monitor', topic, partition, max(kafka_offset) + 1 from bench_seed.events where topic like '%.agent' group by topic, partition`;

const vacuumed = (schema: string) => [`${schema}.events`, `${schema}.tasks`, `${schema}.sagas`, `${schema}.saga_timeline`, `${schema}.agents`, 'presence.agents', 'audit.records', 'audit.chain_heads'];

/**
 * Fills a database whose schemas exist (read models, presence, audit trail) with a day of traffic,
 * set-based (insert … select from generate_series), then vacuums and analyses it as autovacuum
 * would have by then. `schema` is the live read-model generation, `prefix` the topics' prefix.
 */
export const seedConsoleDatabase = async (db: Knex, options: { schema: string; prefix: string; volumes: ConsoleVolumes; say: (line: string) => void }): Promise<SeededTargets> => {
  const { schema, prefix, volumes, say } = options;
  const step = async (label: string, sql: string, bindings: readonly Knex.RawBinding[] = []) => {
    const t = nowMs();
    const result = await db.raw(sql, bindings);
    say(`    ${label}: ${result.rowCount ?? 0} rows, ${((nowMs() - t) / 1000).toFixed(1)} s`);
  };
  await db.raw('drop schema if exists bench_seed cascade');
  await db.raw('create schema bench_seed');
  for (const sql of functions) await db.raw(sql);
  const end = Date.now();
  await db.raw('create table bench_seed.params (t0 timestamptz, t_end timestamptz, events int, sagas int, agents int, dead_letters int, prefix text)');
  await db.raw('insert into bench_seed.params values (?, ?, ?, ?, ?, ?, ?)', [new Date(end - 86_400_000), new Date(end), volumes.events, volumes.sagas, volumes.agents, volumes.deadLetters, prefix]);
  // The seeded ids must sort by time as newEventId's do.
  const probe = Date.UTC(2026, 11, 1, 2, 30, 0, 123);
  const sqlTime = (await db.raw(`select substr(bench_seed.ulid(?, 'probe', 1), 1, 10) as t`, [probe])).rows[0].t as string;
  if (sqlTime !== newEventId(probe).slice(0, 10)) throw new Error(`the seed's ULID time ${sqlTime} differs from newEventId's ${newEventId(probe).slice(0, 10)}`);

  await db.raw('create unlogged table bench_seed.staged (event_id text, type text, source text, occurred_at timestamptz, entity_key text, correlation_id text, causation_id text, payload jsonb)');
  await step('sagas', sagaRows);
  await step("sagas' events", sagaEvents);
  await step('other events', otherEvents);
  await step('topics and offsets', placedEvents);
  await step(`${schema}.events`, readModelEvents(schema));
  await step('audit.records (events)', auditEvents);
  await step('dead letters', deadLetterRows);
  await step('audit.records (dead letters)', auditDeadLetters);
  await step('audit.records (re-published copies)', auditRepublished);
  await step('audit.chain_heads', chainHeads);
  await step(`${schema}.sagas`, sagaReadModel(schema));
  await step(`${schema}.saga_timeline`, sagaTimeline(schema));
  await step(`${schema}.tasks`, tasks(schema));
  await migratePresence(db);
  await step('presence.agents', presenceAgents);
  await step(`${schema}.agents`, projectedAgents(schema));
  await createOffsetsTable(db, schema);
  await createOffsetsTable(db, 'presence');
  await step('projector offsets', offsets(schema));
  await step('presence offsets', presenceOffsets);

  const one = async <T>(sql: string, bindings: readonly Knex.RawBinding[] = []): Promise<T> => (await db.raw(sql, bindings)).rows[0] as T;
  const many = async (sql: string, bindings: readonly Knex.RawBinding[] = []): Promise<string[]> => ((await db.raw(sql, bindings)).rows as { id: string }[]).map((r) => r.id);
  const targets: SeededTargets = {
    agentCursor: (await one<{ id: string }>(`select agent_id as id from presence.agents order by agent_id offset ? limit 1`, [Math.floor(volumes.agents / 2)])).id,
    capability: (await one<{ c: string }>(`select c from presence.agents, unnest(capabilities) c where status = 'online' group by c order by count(*) desc, c limit 1`)).c,
    sagaCursor: (await one<{ id: string }>(`select saga_id as id from bench_seed.sagas order by saga_id desc offset ? limit 1`, [Math.floor(volumes.sagas / 2)])).id,
    sagaIds: await many(`select saga_id as id from bench_seed.sagas order by bench_seed.u('pick', s) limit 50`),
    tracedSagaIds: await many(`select saga_id as id from bench_seed.sagas where n_events = 10 order by bench_seed.u('trace', s) limit 50`),
    eventIds: await many(`select event_id as id from bench_seed.events order by bench_seed.u('event', hashtext(event_id)), event_id limit 50`),
    counts: {},
  };
  await db.raw('drop schema bench_seed cascade');
  const t = nowMs();
  for (const table of vacuumed(schema)) await db.raw(`vacuum (analyze) ${table}`);
  say(`    vacuum analyze: ${((nowMs() - t) / 1000).toFixed(1)} s`);
  const count = async (from: string, where = 'true', bindings: readonly Knex.RawBinding[] = []) => Number((await one<{ n: string }>(`select count(*) as n from ${from} where ${where}`, bindings)).n);
  targets.counts = {
    events: await count(`${schema}.events`),
    auditRecords: await count('audit.records'),
    deadLetters: await count('audit.records', 'topic = ?', [topicName(prefix, deadLetterTopicSuffix)]),
    agents: await count('presence.agents'),
    sagas: await count(`${schema}.sagas`),
    sagaTimeline: await count(`${schema}.saga_timeline`),
    tasks: await count(`${schema}.tasks`),
  };
  return targets;
};
