import { agentProjection } from './agentProjection';
import { decisionProjection } from './decisionProjection';
import type { Projection } from './projection';
import { sagaProjection } from './sagaProjection';
import { taskProjection } from './taskProjection';
import { trustProjection } from './trustProjection';

export const allProjections: readonly Projection[] = [taskProjection, agentProjection, decisionProjection, trustProjection, sagaProjection];
