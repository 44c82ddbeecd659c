import type { Knex } from 'knex';
import { publicKeyBytesOfDid } from '../didKey';
import { PolicyUnavailableError } from '../errors';
import type { AgentGrant, AgentPolicySource } from './agentPolicy';
import { identitySchema, policyReaderRole } from './migrations';

interface AgentRow {
  did: string;
  name: string | null;
  types: string[];
  allowed_at: Date;
  revoked_at: Date | null;
}

const toGrant = (row: AgentRow): AgentGrant => ({ did: row.did, name: row.name, types: row.types, allowedAt: row.allowed_at, revokedAt: row.revoked_at });
const agents = (db: Knex | Knex.Transaction) => db.withSchema(identitySchema).table<AgentRow>('agents');

/**
 * Allows a did:key to emit the given types, replacing what it was allowed before; a revoked DID
 * is allowed again. Rotation: allow the new key, move the agents to it, revoke the old one.
 */
export const allowAgent = async (db: Knex, grant: { did: string; types: readonly string[]; name?: string | null }): Promise<AgentGrant> => {
  publicKeyBytesOfDid(grant.did);
  const [row] = await agents(db)
    .insert({ did: grant.did, name: grant.name ?? null, types: [...grant.types] })
    .onConflict('did')
    .merge({ types: [...grant.types], ...(grant.name === undefined ? {} : { name: grant.name }), revoked_at: null, allowed_at: db.fn.now() as unknown as Date, updated_at: db.fn.now() as unknown as Date } as Partial<AgentRow>)
    .returning('*');
  return toGrant(row as AgentRow);
};

/** Marks a DID revoked (kept, so audits can say who it was); undefined when it was never allowed. */
export const revokeAgent = async (db: Knex, did: string, at: Date = new Date()): Promise<AgentGrant | undefined> => {
  const [row] = await agents(db).where({ did }).update({ revoked_at: at, updated_at: at } as Partial<AgentRow>).returning('*');
  return row ? toGrant(row as AgentRow) : undefined;
};

export const listAgents = async (db: Knex): Promise<AgentGrant[]> => (await agents(db).select('*').orderBy([{ column: 'name' }, { column: 'did' }])).map((r) => toGrant(r as AgentRow));

/**
 * The policy as readers see it: the whole (small) table, read as the policy reader role and kept
 * for `refreshMs`, so a revocation takes effect within that time and verification costs no query.
 */
export const postgresAgentPolicy = (db: Knex, options: { refreshMs?: number; now?: () => number } = {}): AgentPolicySource & { refresh(): Promise<void> } => {
  const refreshMs = options.refreshMs ?? 5000;
  const now = options.now ?? Date.now;
  let snapshot: { at: number; byDid: Map<string, AgentGrant> } | undefined;
  let loading: Promise<void> | undefined;
  const load = (): Promise<void> =>
    (loading ??= db
      .transaction(async (trx) => {
        await trx.raw(`set local role ${policyReaderRole}`);
        const rows = (await agents(trx).select('*')) as AgentRow[];
        snapshot = { at: now(), byDid: new Map(rows.map((r) => [r.did, toGrant(r)])) };
      })
      .catch((error: unknown) => {
        throw new PolicyUnavailableError(error);
      })
      .finally(() => {
        loading = undefined;
      }));
  return {
    refresh: load,
    async grantOf(did) {
      if (!snapshot || now() - snapshot.at >= refreshMs) await load();
      return snapshot!.byDid.get(did);
    },
    grantNow(did) {
      return snapshot && now() - snapshot.at < refreshMs ? { grant: snapshot.byDid.get(did) } : undefined;
    },
  };
};
