import type { ServerResponse } from 'node:http';
import type { Knex } from 'knex';
import { isAgentbusError } from '@agentbus/events';
import type { Logger } from '@agentbus/logger';
import { findCapableAgents } from '@agentbus/presence';

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
};

const wholeNumber = (url: URL, name: string): number | undefined => {
  const raw = url.searchParams.get(name);
  return raw === null || raw === '' ? undefined : /^\d+$/.test(raw) ? Number(raw) : NaN;
};

/** GET /agents?capability=...&minCapacity=...&limit=...: findCapableAgents over HTTP. */
export const agentsRoute =
  (db: Knex, logger: Logger) =>
  (url: URL, res: ServerResponse): void => {
    const capability = url.searchParams.get('capability') ?? '';
    findCapableAgents(db, capability, { minCapacity: wholeNumber(url, 'minCapacity'), limit: wholeNumber(url, 'limit') }).then(
      (agents) => json(res, 200, { capability, agents }),
      (error: unknown) => {
        if (isAgentbusError(error, 'INVALID_DISCOVERY_QUERY')) return json(res, 400, { error: { code: error.code, message: error.message, field: error.context.field } });
        logger.error({ err: error }, 'discovery query failed');
        json(res, 503, { error: { code: 'DISCOVERY_UNAVAILABLE', message: 'the presence read model cannot be read right now' } });
      },
    );
  };
