export { findCapableAgents, validateDiscovery, defaultMinCapacity, defaultDiscoveryLimit } from './discovery/findCapableAgents';
export type { CapableAgent, FindCapableAgents, FindCapableAgentsOptions } from './discovery/capableAgent';
export { presenceSchema, presenceTable, presenceView } from './store/presenceTable';
