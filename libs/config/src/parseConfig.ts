import { z } from 'zod';
import { AgentbusError, ErrorCodes } from '@agentbus/events';

export type Env = Record<string, string | undefined>;

export interface ConfigIssue {
  variable: string;
  message: string;
}

export class ConfigError extends AgentbusError {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(ErrorCodes.configInvalid, `Invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`, {
      context: { issues },
    });
    this.name = 'ConfigError';
  }
}

export const isConfigError = (e: unknown): e is ConfigError => e instanceof AgentbusError && e.code === ErrorCodes.configInvalid;

/**
 * Parses environment variables once, at start-up. Schemas are keyed by the variable name, so
 * every issue names the variable the operator has to fix.
 */
export const parseConfig = <S extends z.ZodType>(schema: S, env: Env = process.env): z.output<S> => {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      variable: issue.path.map(String).join('.') || '(environment)',
      message: describeIssue(issue, env),
    })),
  );
};

/** Several schemas over one environment (a service's own plus the shared connections), all issues at once. */
export const parseConfigs = <T extends Record<string, z.ZodType>>(schemas: T, env: Env = process.env): { [K in keyof T]: z.output<T[K]> } => {
  const issues: ConfigIssue[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    try {
      out[name] = parseConfig(schema, env);
    } catch (error) {
      if (!isConfigError(error)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return out as { [K in keyof T]: z.output<T[K]> };
};

const describeIssue = (issue: z.core.$ZodIssue, env: Env): string => {
  const variable = issue.path[0];
  const value = typeof variable === 'string' ? env[variable] : undefined;
  if (value === undefined) return issue.code === 'invalid_type' ? 'is required' : issue.message;
  return isSecretName(String(variable)) ? issue.message : `${issue.message} (got ${JSON.stringify(value)})`;
};

export const isSecretName = (name: string): boolean => /pass|secret|token|key|credential/i.test(name);

/** For main.ts: a bad variable stops the process with one line that names it. */
export const parseConfigOrExit = <T>(parse: () => T): T => {
  try {
    return parse();
  } catch (error) {
    if (!isConfigError(error)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
};
