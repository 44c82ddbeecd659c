import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import type { Command } from 'commander';
import { allowAgent, generateSigningKey, migrateIdentity, readSigningKeyFile } from '@agentbus/identity';
import { createDatabase } from '@agentbus/postgres-sink';
import { parseTypePatterns } from './agents';
import { CliError, ExitCodes, loadConnection, printJson, printLine } from '../cliSupport';

interface GenerateOptions {
  out: string;
  force?: boolean;
  json?: boolean;
}

const examples = `
Writes a new Ed25519 private key (PKCS#8 PEM, mode 0600) and prints the did:key it signs as.
Give the file to one agent or service (AGENTBUS_SIGNING_KEY_FILE, or the SDK's signingKey option),
allow the DID (agentbus agents allow), and never commit the file. Output shows only the DID.

Examples:
  $ agentbus keys generate --out worker-1.key
  $ agentbus keys generate --out worker-1.key --json
  $ agentbus keys show worker-1.key
  $ agentbus keys ensure --out /keys/projector.key --name projector --allow 'violation.detected'`;

export const register = (program: Command): void => {
  const keys = program.command('keys').description('signing keys: every event an agent publishes is signed with its own');
  keys
    .command('generate')
    .description('write a new Ed25519 signing key (mode 0600) and print its did:key')
    .requiredOption('--out <file>', 'where to write the private key')
    .option('--force', 'replace an existing file')
    .option('--json', 'print {"did","file"} as JSON')
    .addHelpText('after', examples)
    .action((options: GenerateOptions) => generate(options));
  keys
    .command('ensure')
    .description('a deployment step: generate the key unless the file exists, print its did:key, and optionally allow it')
    .requiredOption('--out <file>', 'the key file to keep or create')
    .option('--allow <patterns>', 'also allow the DID to emit these types in the agent policy')
    .option('--name <name>', 'the name to allow it under')
    .option('--json', 'print {"did","file","created"} as JSON')
    .addHelpText('after', examples)
    .action((options: { out: string; allow?: string; name?: string; json?: boolean }) => ensure(options));
  keys
    .command('show')
    .description('print the did:key of a private key file')
    .argument('<file>', 'a key file written by keys generate')
    .option('--json', 'print {"did","file"} as JSON')
    .addHelpText('after', examples)
    .action((file: string, options: { json?: boolean }) => show(file, options));
};

/** Created with mode 0600 from the start, so the key is never readable by others, not even briefly. */
export const writeKeyFile = (file: string, pem: string, force: boolean): void => {
  let fd: number;
  try {
    fd = openSync(file, force ? 'w' : 'wx', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CliError(`${file} exists; pass --force to replace it (the old key's DID stops working once revoked)`, ExitCodes.failure);
    throw new CliError(`cannot write ${file} (${code ?? 'error'})`, ExitCodes.failure);
  }
  try {
    writeSync(fd, pem);
  } finally {
    closeSync(fd);
  }
};

const generate = (options: GenerateOptions): void => {
  const key = generateSigningKey();
  writeKeyFile(options.out, key.exportPem(), options.force === true);
  if (options.json) printJson({ did: key.did, file: options.out });
  else printLine(key.did);
};

const ensure = async (options: { out: string; allow?: string; name?: string; json?: boolean }): Promise<void> => {
  const types = options.allow === undefined ? undefined : parseTypePatterns(options.allow);
  const created = !existsSync(options.out);
  const key = created ? generateSigningKey() : readSigningKeyFile(options.out);
  if (created) writeKeyFile(options.out, key.exportPem(), false);
  if (types) {
    const db = createDatabase({ url: loadConnection().databaseUrl, applicationName: 'agentbus-keys' });
    try {
      await migrateIdentity(db);
      await allowAgent(db, { did: key.did, types, ...(options.name === undefined ? {} : { name: options.name }) });
    } finally {
      await db.destroy();
    }
  }
  if (options.json) printJson({ did: key.did, file: options.out, created });
  else printLine(key.did);
};

const show = (file: string, options: { json?: boolean }): void => {
  const key = readSigningKeyFile(file);
  if (options.json) printJson({ did: key.did, file });
  else printLine(key.did);
};
