import type { Knex } from 'knex';
import { RecordVerifier } from '@agentbus/bus';
import { parseConfig, parseConfigOrExit } from '@agentbus/config';
import { identityEnvSchema, migrateIdentity, postgresAgentPolicy, readSigningKeyFile } from '@agentbus/identity';
import type { RebuildOptions } from '@agentbus/read-models';

/**
 * A replay verifies as the live projector does when AGENTBUS_VERIFY_SIGNATURES says so (set it to
 * the projector's value), so a rebuilt read model refuses what the live one refused.
 */
export const replayIdentity = async (db: Knex): Promise<Pick<RebuildOptions, 'identity'>> => {
  const env = parseConfigOrExit(() => parseConfig(identityEnvSchema));
  if (env.AGENTBUS_VERIFY_SIGNATURES === 'off') return {};
  await migrateIdentity(db);
  const verifier = new RecordVerifier({ mode: env.AGENTBUS_VERIFY_SIGNATURES, policy: postgresAgentPolicy(db) });
  const signingKey = env.AGENTBUS_SIGNING_KEY_FILE === undefined ? undefined : readSigningKeyFile(env.AGENTBUS_SIGNING_KEY_FILE);
  return { identity: { verifier, ...(signingKey ? { signingKey } : {}) } };
};
