import { AvroEventCodec, createRegistryClient, loadSchemaCatalog, type SchemaCatalog } from '@agentbus/codec';
import { parseConfig, type ConnectionConfig } from '@agentbus/config';
import { identityEnvSchema, readSigningKeyFile } from '@agentbus/identity';
import { createKafka } from '@agentbus/kafka';
import type { Logger } from '@agentbus/logger';
import { KafkaEventBus, type KafkaEventBusOptions } from './kafkaEventBus';

export interface KafkaEventBusSettings extends Partial<Omit<KafkaEventBusOptions, 'kafka' | 'codec' | 'topicPrefix' | 'brokers' | 'service' | 'logger'>> {
  connection: ConnectionConfig;
  service: string;
  logger: Logger;
  catalog?: SchemaCatalog;
}

/** The signing key named by AGENTBUS_SIGNING_KEY_FILE, when it names one. */
const signingKeyFromEnv = () => {
  const file = parseConfig(identityEnvSchema.pick({ AGENTBUS_SIGNING_KEY_FILE: true })).AGENTBUS_SIGNING_KEY_FILE;
  return file === undefined ? undefined : readSigningKeyFile(file);
};

/** Wires a bus from parsed connection config: kafkajs client, registry client and codec; the signing key from the option or AGENTBUS_SIGNING_KEY_FILE. */
export const createKafkaEventBus = ({ connection, service, logger, catalog = loadSchemaCatalog(), signingKey = signingKeyFromEnv(), ...rest }: KafkaEventBusSettings): KafkaEventBus =>
  new KafkaEventBus({
    ...rest,
    ...(signingKey ? { signingKey } : {}),
    kafka: createKafka({ ...connection.kafka, clientId: `${connection.kafka.clientId}-${service}` }, logger.child({ component: 'kafka' })),
    codec: new AvroEventCodec({ registry: createRegistryClient(connection.registry), catalog, topicPrefix: connection.topicPrefix }),
    catalog,
    topicPrefix: connection.topicPrefix,
    brokers: connection.kafka.brokers,
    service,
    logger: logger.child({ component: 'bus' }),
  });
