import type { Command } from 'commander';
import { describeProblem, describeSignatureProblem, isNotRecordedError, verifyAuditSignatures, verifyAuditTrail } from '@agentbus/operations';
import { createDatabase } from '@agentbus/postgres-sink';
import { CliError, ExitCodes, loadConnection, notFoundError, printJson, printLine } from '../cliSupport';
import { parseTime } from './replay';

interface VerifyOptions {
  topic?: string;
  from?: string;
  json?: boolean;
  signatures?: boolean;
}

const examples = `
Recomputes every partition's hash chain, hash = sha256(prev_hash || canonical record), from the
rows in the audit trail and reports the first row that was modified, deleted or reordered in
each partition. Exits 0 when every chain holds, 1 when one does not.

With --signatures it also checks, record by record, the agentbus-signature over the stored bytes
and headers (a dead letter against its source topic), that the source is the signer, and that the
agent policy in force now allows the signer the type; each record that fails is reported with
its code (EVENT_UNSIGNED, SIGNATURE_INVALID, SOURCE_MISMATCH, NOT_AUTHORIZED), and the run exits 1.

Examples:
  $ agentbus audit verify
  $ agentbus audit verify --topic decision --from 2026-11-24T00:00:00Z
  $ agentbus audit verify --json
  $ agentbus audit verify --signatures --topic task --json`;

export const register = (program: Command): void => {
  const audit = program.command('audit').description('the tamper-evident audit trail the audit sink stores');
  audit
    .command('verify')
    .description('recompute the hash chains and report the first modified, deleted or reordered row')
    .option('--topic <topic>', 'one topic, by name or by category (task, decision, dlq, ...)')
    .option('--from <time>', 'an ISO time: start each chain at its first record from then on, trusting the link stored there')
    .option('--json', 'print the result as JSON')
    .option('--signatures', 'also check every stored signature, source and the agent policy, record by record')
    .addHelpText('after', examples)
    .action((options: VerifyOptions) => verify(options));
};

const verify = async (options: VerifyOptions): Promise<void> => {
  const from = options.from === undefined ? undefined : parseTime('--from', options.from);
  const connection = loadConnection();
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-audit-verify' });
  try {
    const scope = { prefix: connection.topicPrefix, ...(options.topic ? { topic: options.topic } : {}), ...(from ? { from } : {}) };
    const results = await verifyAuditTrail(db, scope).catch((error: unknown) => {
      throw isNotRecordedError(error) ? notFoundError(error.message) : error;
    });
    const verified = results.reduce((n, r) => n + r.verified, 0);
    const problems = results.flatMap((r) => (r.problem ? [r.problem] : []));
    const signatures = options.signatures ? await verifyAuditSignatures(db, scope) : undefined;
    if (options.json) printJson({ ok: problems.length === 0 && (signatures?.problems.length ?? 0) === 0, verified, partitions: results.length, problems, ...(signatures ? { signatures } : {}) });
    else {
      if (problems.length === 0) printLine(`verified ${verified} records in ${results.length} partition${results.length === 1 ? '' : 's'}`);
      else for (const p of problems) printLine(describeProblem(p));
      if (signatures) {
        for (const p of signatures.problems) printLine(describeSignatureProblem(p));
        printLine(`signatures: ${signatures.verified} of ${signatures.checked} records signed by their source and allowed by the agent policy`);
      }
    }
    if (problems.length > 0) throw new CliError(`the audit trail was tampered with: ${problems.length} broken chain${problems.length === 1 ? '' : 's'}`, ExitCodes.failure);
    if (signatures && signatures.problems.length > 0) throw new CliError(`${signatures.problems.length} record${signatures.problems.length === 1 ? '' : 's'} not signed by an allowed source`, ExitCodes.failure);
  } finally {
    await db.destroy();
  }
};
