export { parseConfig, parseConfigs, parseConfigOrExit, ConfigError, isConfigError, isSecretName } from './parseConfig';
export type { Env, ConfigIssue } from './parseConfig';
export { connectionSchema, localPortsSchema, brokerList } from './connections';
export type { ConnectionConfig, KafkaConnection, RegistryConnection, LocalPorts } from './connections';
