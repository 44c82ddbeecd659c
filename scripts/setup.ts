import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import type { ConnectionConfig } from '@agentbus/config';
import { agentbusTopics, createKafka, ensureTopics } from '@agentbus/kafka';

export interface SetupResult {
  createdTopics: string[];
  topics: string[];
  subjects: { subject: string; version: number; id: number }[];
  codec: AvroEventCodec;
}

/** Topics, subject compatibility and schemas, idempotently: safe to run on every start. */
export const setupTopicsAndSchemas = async (config: ConnectionConfig, partitions = 3): Promise<SetupResult> => {
  const admin = createKafka(config.kafka).admin();
  await admin.connect();
  const specs = agentbusTopics({ prefix: config.topicPrefix, partitions, replicationFactor: 1 });
  let createdTopics: string[];
  try {
    createdTopics = await ensureTopics(admin, specs);
  } finally {
    await admin.disconnect();
  }
  const codec = new AvroEventCodec({ registry: createRegistryClient(config.registry), catalog: loadSchemaCatalog(), topicPrefix: config.topicPrefix });
  const subjects = await codec.registerSchemas();
  return { createdTopics, topics: specs.map((s) => s.topic), subjects, codec };
};
