export { migrateSchema } from './migrations';
export {
  activeSchema,
  ensureLiveReadModels,
  publishViews,
  createShadowGeneration,
  abandonedGenerations,
  dropGeneration,
  swapGeneration,
  generationSchema,
  readViews,
  metaSchema,
  readSchema,
  analystRole,
} from './generations';
export { projectionTarget } from './projectionTarget';
export type { ProjectionTargetOptions } from './projectionTarget';
export { rebuildReadModels } from './rebuild';
export type { RebuildOptions, RebuildResult } from './rebuild';
export { rebuildProjection } from './rebuildProjection';
export type { ProjectionRebuildOptions, ProjectionRebuildResult } from './rebuildProjection';
