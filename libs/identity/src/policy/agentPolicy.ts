/** One row of the agent policy: which event types a did:key may emit (AMQP patterns, as subscriptions use). */
export interface AgentGrant {
  did: string;
  name: string | null;
  types: string[];
  allowedAt: Date;
  revokedAt: Date | null;
}

/** Where a reader looks up what a signer may emit. */
export interface AgentPolicySource {
  grantOf(did: string): Promise<AgentGrant | undefined>;
  /**
   * The grant when it is known without waiting (the policy in memory and fresh); undefined when
   * only `grantOf` can tell. Lets a reader check a record without a promise.
   */
  grantNow?(did: string): { grant: AgentGrant | undefined } | undefined;
}

/** A fixed policy, for tests and for tools that loaded it once. */
export const staticAgentPolicy = (grants: readonly AgentGrant[]): AgentPolicySource => {
  const byDid = new Map(grants.map((g) => [g.did, g]));
  return { grantOf: async (did) => byDid.get(did), grantNow: (did) => ({ grant: byDid.get(did) }) };
};
