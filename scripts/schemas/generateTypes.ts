import { existsSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { generatedFile, repoRoot, schemasDir } from './paths';
import { renderEventTypes } from './renderEventTypes';

const main = async (): Promise<void> => {
  // @agentbus/codec imports @agentbus/events, which re-exports the generated file, so the file
  // must exist before the codec loads; a placeholder lets a missing file be regenerated.
  if (!existsSync(generatedFile)) writeFileSync(generatedFile, 'export {};\n');
  const { loadSchemaCatalog } = await import('@agentbus/codec');
  const catalog = loadSchemaCatalog(schemasDir);
  writeFileSync(generatedFile, renderEventTypes(catalog));
  console.log(`wrote ${relative(repoRoot, generatedFile)}: ${catalog.eventTypes().length} event types`);
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
