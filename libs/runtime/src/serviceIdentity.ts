import type { Knex } from 'knex';
import { RecordVerifier } from '@agentbus/bus';
import { migrateIdentity, postgresAgentPolicy, readSigningKeyFile, type IdentityEnv, type SigningKey } from '@agentbus/identity';
import type { Logger } from '@agentbus/logger';

export interface ServiceIdentity {
  /** Signs what the service publishes, when AGENTBUS_SIGNING_KEY_FILE names a key. */
  signingKey?: SigningKey;
  /** Checks what it reads, unless AGENTBUS_VERIFY_SIGNATURES is off. */
  verifier?: RecordVerifier;
}

/**
 * A service's identity from its AGENTBUS_SIGNING_KEY_FILE and AGENTBUS_VERIFY_SIGNATURES: its key,
 * and a verifier over the Postgres agent policy (whose schema it brings up to date). Only the DID
 * is logged.
 */
export const serviceIdentity = async (env: IdentityEnv, db: Knex, logger: Logger): Promise<ServiceIdentity> => {
  const signingKey = env.AGENTBUS_SIGNING_KEY_FILE === undefined ? undefined : readSigningKeyFile(env.AGENTBUS_SIGNING_KEY_FILE);
  const mode = env.AGENTBUS_VERIFY_SIGNATURES;
  let verifier: RecordVerifier | undefined;
  if (mode !== 'off') {
    await migrateIdentity(db);
    verifier = new RecordVerifier({ mode, policy: postgresAgentPolicy(db), onWarning: (refusal, topic) => logger.warn({ err: refusal, topic }, `${refusal.code}: applied anyway (AGENTBUS_VERIFY_SIGNATURES=warn)`) });
  }
  logger.info({ did: signingKey?.did ?? null, verify: mode }, signingKey ? 'signing as its did:key' : 'publishing unsigned (no AGENTBUS_SIGNING_KEY_FILE)');
  return { ...(signingKey ? { signingKey } : {}), ...(verifier ? { verifier } : {}) };
};
