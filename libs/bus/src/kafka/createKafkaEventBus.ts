import { AvroEventCodec, createRegistryClient, loadSchemaCatalog, type SchemaCatalog } from '@agentbus/codec';
import type { ConnectionConfig } from '@agentbus/config';
import { createKafka } from '@agentbus/kafka';
import type { Logger } from '@agentbus/logger';
import { KafkaEventBus, type KafkaEventBusOptions } from './kafkaEventBus';

export interface KafkaEventBusSettings extends Partial<Omit<KafkaEventBusOptions, 'kafka' | 'codec' | 'topicPrefix' | 'brokers' | 'service' | 'logger'>> {
  connection: ConnectionConfig;
  service: string;
  logger: Logger;
  catalog?: SchemaCatalog;
}

/** Wires a bus from parsed connection config: kafkajs client, registry client and codec. */
export const createKafkaEventBus = ({ connection, service, logger, catalog = loadSchemaCatalog(), ...rest }: KafkaEventBusSettings): KafkaEventBus =>
  new KafkaEventBus({
    ...rest,
    kafka: createKafka({ ...connection.kafka, clientId: `${connection.kafka.clientId}-${service}` }, logger.child({ component: 'kafka' })),
    codec: new AvroEventCodec({ registry: createRegistryClient(connection.registry), catalog, topicPrefix: connection.topicPrefix }),
    catalog,
    topicPrefix: connection.topicPrefix,
    brokers: connection.kafka.brokers,
    service,
    logger: logger.child({ component: 'bus' }),
  });
