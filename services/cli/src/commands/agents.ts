import type { Command } from 'commander';
import { parsePattern } from '@agentbus/bus';
import { allowAgent, listAgents, migrateIdentity, publicKeyBytesOfDid, revokeAgent, type AgentGrant } from '@agentbus/identity';
import { createDatabase } from '@agentbus/postgres-sink';
import { formatTable, isoTime, loadConnection, notFoundError, printJson, printLine, usageError } from '../cliSupport';

const examples = `
The agent policy: which did:key may emit which event types (AMQP patterns, as subscriptions use:
* one word, # any number). Readers that require signatures refuse an event whose signer is not
allowed its type (NOT_AUTHORIZED). Rotation: allow the new key beside the old one, move the agent
to it, then revoke the old one. Readers see a change within their policy refresh (5 s).

Examples:
  $ agentbus agents allow did:key:z6Mk… --types 'task.*,agent.*' --name worker-1
  $ agentbus agents revoke did:key:z6Mk…
  $ agentbus agents list --json`;

export const register = (program: Command): void => {
  const agents = program.command('agents').description('the agent policy: which DIDs may emit which event types');
  agents
    .command('allow')
    .description('allow a did:key to emit event types (replaces what it was allowed; re-allows a revoked key)')
    .argument('<did>', 'the did:key that `agentbus keys generate` printed')
    .requiredOption('--types <patterns>', "comma-separated type patterns, e.g. 'task.*,agent.*'")
    .option('--name <name>', 'a name for people: worker-1')
    .option('--json', 'print the grant as JSON')
    .addHelpText('after', examples)
    .action((did: string, options: { types: string; name?: string; json?: boolean }) => allow(did, options));
  agents
    .command('revoke')
    .description('revoke a did:key: its events are refused from then on (NOT_AUTHORIZED)')
    .argument('<did>', 'the did:key to revoke')
    .option('--json', 'print the grant as JSON')
    .addHelpText('after', examples)
    .action((did: string, options: { json?: boolean }) => revoke(did, options));
  agents
    .command('list')
    .description('list the policy: DIDs, names, types, revoked or not')
    .option('--json', 'print the grants as JSON')
    .addHelpText('after', examples)
    .action((options: { json?: boolean }) => list(options));
};

export const parseDid = (did: string): string => {
  try {
    publicKeyBytesOfDid(did);
  } catch (error) {
    throw usageError(`<did>: ${(error as Error).message}`);
  }
  return did;
};

export const parseTypePatterns = (text: string): string[] => {
  const patterns = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (patterns.length === 0) throw usageError('--types: give at least one type pattern, e.g. task.*');
  for (const p of patterns) {
    try {
      parsePattern(p);
    } catch (error) {
      throw usageError(`--types: ${(error as Error).message}`);
    }
  }
  return patterns;
};

const grantJson = (g: AgentGrant) => ({ did: g.did, name: g.name, types: g.types, allowedAt: g.allowedAt.toISOString(), revokedAt: g.revokedAt?.toISOString() ?? null });

const withPolicy = async <T>(work: (db: ReturnType<typeof createDatabase>) => Promise<T>): Promise<T> => {
  const connection = loadConnection();
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-agents' });
  try {
    await migrateIdentity(db);
    return await work(db);
  } finally {
    await db.destroy();
  }
};

const allow = async (didText: string, options: { types: string; name?: string; json?: boolean }): Promise<void> => {
  const did = parseDid(didText);
  const types = parseTypePatterns(options.types);
  const grant = await withPolicy((db) => allowAgent(db, { did, types, ...(options.name === undefined ? {} : { name: options.name }) }));
  if (options.json) printJson(grantJson(grant));
  else printLine(`allowed ${grant.name ? `${grant.name} ` : ''}${grant.did} to emit ${grant.types.join(', ')}`);
};

const revoke = async (didText: string, options: { json?: boolean }): Promise<void> => {
  const did = parseDid(didText);
  const grant = await withPolicy((db) => revokeAgent(db, did));
  if (!grant) throw notFoundError(`${did} is not in the agent policy`);
  if (options.json) printJson(grantJson(grant));
  else printLine(`revoked ${grant.name ? `${grant.name} ` : ''}${grant.did}`);
};

const list = async (options: { json?: boolean }): Promise<void> => {
  const grants = await withPolicy((db) => listAgents(db));
  if (options.json) return printJson(grants.map(grantJson));
  if (grants.length === 0) return printLine('no agents allowed yet: agentbus agents allow <did> --types ...');
  for (const line of formatTable(
    ['NAME', 'DID', 'TYPES', 'ALLOWED', 'REVOKED'],
    grants.map((g) => [g.name ?? '-', g.did, g.types.join(','), isoTime(g.allowedAt.getTime()), g.revokedAt ? isoTime(g.revokedAt.getTime()) : '-']),
  ))
    printLine(line);
};
