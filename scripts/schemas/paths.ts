import { resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '../..');
export const schemasDir = resolve(repoRoot, 'schemas');
export const generatedFile = resolve(repoRoot, 'libs/events/src/schemas/eventTypes.generated.ts');
