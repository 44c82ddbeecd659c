export { AvroEventCodec } from './avroEventCodec';
export { avroRoundTrip } from './catalog/avroRecord';
export type { AvroEventCodecOptions, DecodeContext, DecodedEvent, EncodedEvent } from './avroEventCodec';
export { assertReadable, assertRoutingKey, envelopeIssues } from './validation/eventRules';
export { loadSchemaCatalog, defaultSchemasDir, composeEventSchema, SchemaDefinitionError } from './catalog/schemaCatalog';
export type { EventSchema, SchemaCatalog } from './catalog/schemaCatalog';
export { checkBackwardTransitive, resolutionProblem } from './catalog/compatibility';
export type { CompatibilityProblem } from './catalog/compatibility';
export { eventRecordName, payloadRecordName, subjectName } from './catalog/naming';
export { createRegistryClient } from './registry/registryClient';
export { assertRegistryReachable } from './registry/registryReachable';
export type { RegistryClient, RegistryClientOptions } from './registry/registryClient';
export {
  SchemaIncompatibleError,
  RegistryUnavailableError,
  SchemaNotFoundError,
  isSchemaIncompatibleError,
  isRegistryUnavailableError,
  isSchemaNotFoundError,
} from './registry/registryErrors';
export { toWireFormat, fromWireFormat, encodeToWireFormat } from './wire/wireFormat';
