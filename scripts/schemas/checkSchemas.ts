import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { checkBackwardTransitive, loadSchemaCatalog, type SchemaCatalog } from '@agentbus/codec';
import { generatedFile as repoGeneratedFile, repoRoot, schemasDir as repoSchemasDir } from './paths';
import { renderEventTypes } from './renderEventTypes';

export interface CheckSchemasOptions {
  schemasDir: string;
  generatedFile: string;
}

export interface CheckSchemasResult {
  ok: boolean;
  problems: string[];
  /** One line describing what holds; set only when ok. */
  summary?: string;
}

const displayPath = (file: string): string => {
  const fromRoot = relative(repoRoot, file);
  return fromRoot.startsWith('..') || isAbsolute(fromRoot) ? file : fromRoot;
};

export const checkSchemas = ({ schemasDir, generatedFile }: CheckSchemasOptions): CheckSchemasResult => {
  let catalog: SchemaCatalog;
  try {
    catalog = loadSchemaCatalog(schemasDir);
  } catch (error) {
    return { ok: false, problems: [(error as Error).message] };
  }

  const problems = checkBackwardTransitive(catalog).map((p) => `${p.eventType}: v${p.reader} cannot read v${p.writer}: ${p.reason}`);

  let rendered: string | undefined;
  try {
    rendered = renderEventTypes(catalog);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (rendered !== undefined) {
    const committed = existsSync(generatedFile) ? readFileSync(generatedFile, 'utf8') : undefined;
    if (committed !== rendered) problems.push(`${displayPath(generatedFile)} is stale: run npm run schemas:generate`);
  }

  if (problems.length > 0) return { ok: false, problems };
  const types = catalog.eventTypes().length;
  return {
    ok: true,
    problems,
    summary: `schemas ok: ${types} event types, ${catalog.schemas.length} versions, BACKWARD_TRANSITIVE holds, generated types up to date`,
  };
};

if (require.main === module) {
  const result = checkSchemas({ schemasDir: repoSchemasDir, generatedFile: repoGeneratedFile });
  if (result.ok) {
    console.log(result.summary);
  } else {
    console.error(`schemas check failed (${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}):`);
    for (const problem of result.problems) console.error(`  ${problem}`);
    process.exitCode = 1;
  }
}
