import type { Knex } from 'knex';
import { countWaitingDeadLetters } from './deadLetters';

const counts = (rows: { key: string | null; n: number }[]): Record<string, number> => Object.fromEntries(rows.map((r) => [r.key ?? 'unknown', Number(r.n)]));

/** Agents by status, sagas by status, events per second per category (last minute) and dead letters waiting. */
export const readOverview = async (trx: Knex.Transaction, options: { deadLetterTopic: string; topicPrefix: string }) => {
  const agents = counts((await trx.raw(`select status as key, count(*)::int as n from read.presence_agents group by status`)).rows);
  const sagas = counts((await trx.raw(`select status as key, count(*)::int as n from read.sagas group by status`)).rows);
  const perMinute = counts((await trx.raw(`select topic as key, count(*)::int as n from read.events where recorded_at > now() - interval '60 seconds' group by topic`)).rows);
  const eventsPerSecond = Object.fromEntries(Object.entries(perMinute).map(([topic, n]) => [topic.startsWith(`${options.topicPrefix}.`) ? topic.slice(options.topicPrefix.length + 1) : topic, Math.round((n / 60) * 100) / 100]));
  const hasAudit = (await trx.raw(`select to_regclass('audit_read.records') as t`)).rows[0].t;
  const deadLettersWaiting = hasAudit ? await countWaitingDeadLetters(trx, options.deadLetterTopic) : null;
  return { agents, sagas, eventsPerSecond, deadLettersWaiting };
};
