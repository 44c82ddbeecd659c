/** Every error code agentbus raises. Stable: operators alert and route on these. */
export const ErrorCodes = {
  configInvalid: 'CONFIG_INVALID',
  eventInvalid: 'EVENT_INVALID',
  eventUndecodable: 'EVENT_UNDECODABLE',
  eventTypeMismatch: 'EVENT_TYPE_MISMATCH',
  eventTypeUnknown: 'EVENT_TYPE_UNKNOWN',
  notAnAgentbusEvent: 'NOT_AN_AGENTBUS_EVENT',
  routingKeyInvalid: 'ROUTING_KEY_INVALID',
  routingKeyMismatch: 'ROUTING_KEY_MISMATCH',
  schemaIncompatible: 'SCHEMA_INCOMPATIBLE',
  schemaInvalid: 'SCHEMA_INVALID',
  schemaNotFound: 'SCHEMA_NOT_FOUND',
  registryUnavailable: 'REGISTRY_UNAVAILABLE',
  brokerUnavailable: 'BROKER_UNAVAILABLE',
  kafkaAuthenticationFailed: 'KAFKA_AUTHENTICATION_FAILED',
  databaseUnavailable: 'DATABASE_UNAVAILABLE',
  topicsNotReady: 'TOPICS_NOT_READY',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
