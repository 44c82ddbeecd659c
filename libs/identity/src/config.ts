import { z } from 'zod';

export const verificationModes = ['off', 'warn', 'require'] as const;
/** off: signatures are not looked at. warn: refusals are logged, events still delivered. require: refusals are dead-lettered and reported. */
export type VerificationMode = (typeof verificationModes)[number];

/** The same two variables for the SDK and every service; each process gets its own values. */
export const identityEnvSchema = z.object({
  AGENTBUS_SIGNING_KEY_FILE: z.string().min(1).optional(),
  AGENTBUS_VERIFY_SIGNATURES: z.enum(verificationModes).default('off'),
});
export type IdentityEnv = z.output<typeof identityEnvSchema>;
