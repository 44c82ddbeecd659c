import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Knex } from 'knex';
import { createKafkaEventBus, DeadLetterQueue, type KafkaEventBus } from '@agentbus/bus';
import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { deadLetterTopicSuffix, isAgentbusError, topicName } from '@agentbus/events';
import { createKafka } from '@agentbus/kafka';
import type { Logger } from '@agentbus/logger';
import { describeProblem, isNotRecordedError, loadSagaTimeline, replayDeadLetters, verifyAuditTrail } from '@agentbus/operations';
import { createDatabase } from '@agentbus/postgres-sink';
import { createMetricsRegistry, databaseCheck, serveOps, type OpsServer } from '@agentbus/runtime';
import { Counter } from 'prom-client';
import { bearerToken, cookieValue, issueSession, readSession, sessionCookie, type Session } from './auth/sessions';
import { checkPassword } from './auth/users';
import type { ConsoleConfig } from './config';
import { LiveUpdates } from './liveUpdates';
import { agentStatuses, capableAgents, listAgents } from './reads/agents';
import { asAnalyst, pageLimit } from './reads/analyst';
import { readAuditHeads } from './reads/auditHeads';
import { consumerLag, positionsViewKeeper } from './reads/consumerLag';
import { findDeadLetter, listDeadLetters, parseRef } from './reads/deadLetters';
import { readOverview } from './reads/overview';
import { listSagas } from './reads/sagas';
import { findEvent, traceOf } from './reads/traces';

declare module 'fastify' {
  interface FastifyRequest {
    session?: Session;
  }
}

export interface RunningConsole {
  ops: OpsServer;
  app: FastifyInstance;
  port: number;
  stop(): Promise<void>;
}

type Query = Record<string, string | undefined>;

const securityHeaders = {
  // Agent-written text is rendered as text; this stops any script that is not the app's own, should one slip through.
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

const unauthorized = (reply: FastifyReply) => reply.code(401).send({ error: 'unauthorized' });
const notFound = (reply: FastifyReply) => reply.code(404).send({ error: 'not found' });

/** The console's API and web app on the service's port, beside /health and /metrics. */
export const startConsole = async (config: ConsoleConfig, logger: Logger, options: { ops?: OpsServer; now?: () => number } = {}): Promise<RunningConsole> => {
  const now = options.now ?? Date.now;
  const { connection } = config;
  const deadLetterTopic = topicName(connection.topicPrefix, deadLetterTopicSuffix);
  const db: Knex = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-console', logger });
  const keepPositionsView = positionsViewKeeper(db, 10_000, now);
  const refreshPositions = () => keepPositionsView().catch((error: unknown) => logger.warn({ err: error }, 'cannot publish read.consumer_positions (needs a role that may create views); consumer lag stays empty'));
  await refreshPositions();
  const kafka = createKafka({ ...connection.kafka, clientId: `${connection.kafka.clientId}-console` }, logger.child({ component: 'kafka' }));
  const catalog = loadSchemaCatalog();
  const codec = new AvroEventCodec({ registry: createRegistryClient(connection.registry), catalog, topicPrefix: connection.topicPrefix });
  const bus: KafkaEventBus = createKafkaEventBus({ connection, service: 'agentbus-console', logger, catalog });
  await bus.registerSchemas();

  const registry = createMetricsRegistry('console');
  const actions = new Counter({ name: 'console_operator_actions_total', help: 'Operator actions taken through the console', labelNames: ['action', 'outcome'], registers: [registry] });
  const logins = new Counter({ name: 'console_logins_total', help: 'Login attempts', labelNames: ['outcome'], registers: [registry] });

  const overviewOf = async () => {
    await refreshPositions();
    const [overview, lag] = await Promise.all([
      asAnalyst(db, (trx) => readOverview(trx, { deadLetterTopic, topicPrefix: connection.topicPrefix })),
      asAnalyst(db, (trx) => consumerLag(trx, kafka, connection.topicPrefix)).catch((error: unknown) => {
        logger.warn({ err: error }, 'consumer lag unavailable');
        return null;
      }),
    ]);
    return { ...overview, consumerLag: lag };
  };
  const live = new LiveUpdates(async () => ({ overview: await overviewOf(), agents: await asAnalyst(db, agentStatuses) }), config.liveIntervalMs, logger.child({ component: 'live' }));

  /** Who did what, published through the bus so it lands in the audit trail. */
  const recordAction = async (session: Session, action: string, target: unknown, outcome: unknown) => {
    await bus.publish({ type: 'operator.action', source: 'agentbus-console', payload: { operator: session.user, role: session.role, action, target: JSON.stringify(target), outcome: JSON.stringify(outcome) } });
    logger.info({ operator: session.user, action, target }, 'operator action');
  };

  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const app = Fastify({
    // runService's ops server owns the port; Fastify only routes what it hands over.
    serverFactory: (h) => {
      handler = h;
      return createServer(h);
    },
    bodyLimit: 64 * 1024,
  });

  app.addHook('onSend', async (_request, reply) => {
    reply.headers(securityHeaders);
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/') || (request.method === 'POST' && request.url === '/api/login')) return;
    const session = readSession(config.sessionSecret, bearerToken(request.headers.authorization) ?? cookieValue(request.headers.cookie, sessionCookie), now());
    if (!session) return unauthorized(reply);
    request.session = session;
  });
  const operatorOnly = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.session?.role !== 'operator') return reply.code(403).send({ error: 'forbidden: operators only' });
  };
  app.setErrorHandler((error, request, reply) => {
    if (isNotRecordedError(error)) return notFound(reply);
    if ((error as { statusCode?: number }).statusCode && (error as { statusCode: number }).statusCode < 500) return reply.code((error as { statusCode: number }).statusCode).send({ error: 'bad request' });
    logger.error({ err: error, url: request.url }, 'console request failed');
    return reply.code(isAgentbusError(error) && error.retriable ? 503 : 500).send({ error: 'the console could not answer; see its log' });
  });

  app.post('/api/login', async (request, reply) => {
    const body = (request.body ?? {}) as { user?: unknown; password?: unknown };
    const user = checkPassword(config.users, body.user, body.password);
    logins.inc({ outcome: user ? 'ok' : 'refused' });
    if (!user) return unauthorized(reply);
    const session = { user: user.name, role: user.role, expiresAt: now() + config.sessionTtlMs };
    const token = issueSession(config.sessionSecret, session);
    reply.header('Set-Cookie', `${sessionCookie}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(config.sessionTtlMs / 1000)}${config.cookieSecure ? '; Secure' : ''}`);
    return { user: user.name, role: user.role };
  });
  app.post('/api/logout', async (_request, reply) => {
    reply.header('Set-Cookie', `${sessionCookie}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
    return { ok: true };
  });
  app.get('/api/me', async (request) => ({ user: request.session!.user, role: request.session!.role }));
  app.get('/api/overview', () => overviewOf());
  app.get('/api/agents', async (request, reply) => {
    const q = request.query as Query;
    if (q.capability !== undefined) {
      const minCapacity = q.minCapacity === undefined ? undefined : Number(q.minCapacity);
      try {
        return { capability: q.capability, agents: await asAnalyst(db, (trx) => capableAgents(trx, q.capability!, { ...(minCapacity === undefined ? {} : { minCapacity }), limit: pageLimit(q.limit) })) };
      } catch (error) {
        if (isAgentbusError(error, 'INVALID_DISCOVERY_QUERY')) return reply.code(400).send({ error: error.message });
        throw error;
      }
    }
    return asAnalyst(db, (trx) => listAgents(trx, { ...(q.after ? { after: q.after } : {}), limit: pageLimit(q.limit) }));
  });
  app.get('/api/sagas', async (request) => {
    const q = request.query as Query;
    return asAnalyst(db, (trx) => listSagas(trx, { ...(q.status ? { status: q.status } : {}), ...(q.q ? { search: q.q } : {}), ...(q.after ? { after: q.after } : {}), limit: pageLimit(q.limit) }));
  });
  app.get('/api/sagas/:id', async (request, reply) => {
    const found = await asAnalyst(db, (trx) => loadSagaTimeline(trx, (request.params as { id: string }).id));
    return found ?? notFound(reply);
  });
  app.get('/api/trace/:id', async (request, reply) => {
    const tree = await asAnalyst(db, (trx) => traceOf(trx, (request.params as { id: string }).id, deadLetterTopic));
    return tree ?? notFound(reply);
  });
  app.get('/api/events/:id', async (request, reply) => {
    const event = await asAnalyst(db, (trx) => findEvent(trx, (request.params as { id: string }).id, deadLetterTopic));
    return event ?? notFound(reply);
  });
  app.get('/api/dead-letters', async (request) => {
    const q = request.query as Query;
    return asAnalyst(db, (trx) => listDeadLetters(trx, { topic: deadLetterTopic, all: q.all === 'true', ...(q.after ? { after: q.after } : {}), limit: pageLimit(q.limit) }));
  });
  app.get('/api/dead-letters/:ref', async (request, reply) => {
    const ref = parseRef((request.params as { ref: string }).ref);
    const found = ref && (await asAnalyst(db, (trx) => findDeadLetter(trx, deadLetterTopic, ref)));
    if (!found) return notFound(reply);
    const { raw, ...letter } = found;
    const decoded = raw
      ? await codec.decode(raw).then(
          (d) => ({ event: d.event, decodeError: null }),
          (error: unknown) => ({ event: null, decodeError: error instanceof Error ? error.message : String(error) }),
        )
      : { event: null, decodeError: 'no value' };
    return { ...letter, hex: raw ? raw.toString('hex') : null, ...decoded };
  });
  app.post('/api/dead-letters/replay', { preHandler: operatorOnly }, async (request, reply) => {
    const refs = (request.body as { refs?: unknown } | undefined)?.refs;
    if (!Array.isArray(refs) || refs.length === 0 || refs.length > 1000 || !refs.every((r) => typeof r === 'string' && parseRef(r))) return reply.code(400).send({ error: 'refs: a list of partition:offset' });
    const queue = new DeadLetterQueue(kafka, deadLetterTopic);
    const result = await replayDeadLetters(queue, { prefix: connection.topicPrefix, refs });
    const outcome = { matchingDeadLetters: result.matchingDeadLetters, republished: result.republished, sourceRecords: result.sourceRecords };
    actions.inc({ action: 'dlq.replay', outcome: 'ok' });
    await recordAction(request.session!, 'dlq.replay', { refs }, outcome);
    return outcome;
  });
  app.get('/api/audit', () => asAnalyst(db, readAuditHeads));
  app.post('/api/audit/verify', { preHandler: operatorOnly }, async (request) => {
    // The chains are recomputed from the stored bytes and hashes, which the analyst views show only as hex: the same code and role as `agentbus audit verify`.
    const results = await verifyAuditTrail(db, { prefix: connection.topicPrefix });
    const problems = results.flatMap((r) => (r.problem ? [{ ...r.problem, text: describeProblem(r.problem) }] : []));
    const outcome = { ok: problems.length === 0, verified: results.reduce((n, r) => n + r.verified, 0), partitions: results.length, problems };
    actions.inc({ action: 'audit.verify', outcome: outcome.ok ? 'ok' : 'problems' });
    await recordAction(request.session!, 'audit.verify', { topic: 'all' }, outcome);
    return outcome;
  });
  app.get('/api/stream', (request, reply) => {
    reply.hijack();
    live.attach(reply.raw);
  });

  if (existsSync(config.webDir)) {
    await app.register(fastifyStatic, { root: config.webDir, wildcard: false, index: 'index.html' });
    // The web app routes in the browser: every page address gets its shell; its data stays behind /api.
    app.setNotFoundHandler((request, reply) => (request.method === 'GET' && !request.url.startsWith('/api/') ? reply.sendFile('index.html') : notFound(reply)));
  } else {
    logger.warn({ webDir: config.webDir }, 'no built web app here; serving the API only (build it with npm run console:web)');
  }
  await app.ready();

  const ops = await serveOps(options.ops, {
    port: config.httpPort,
    logger,
    registry,
    health: async () => {
      const database = await databaseCheck(db);
      return { ok: database.ok, checks: { database } };
    },
    fallback: (req, res) => handler!(req, res),
  });
  logger.info({ port: ops.port }, 'console running');
  return {
    ops,
    app,
    port: ops.port,
    stop: async () => {
      live.close();
      await ops.close();
      await app.close();
      await bus.close();
      await db.destroy();
    },
  };
};
