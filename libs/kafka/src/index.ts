export { createKafka, kafkaConfig, assertBrokerReachable } from './createKafka';
export {
  BrokerUnavailableError,
  KafkaAuthenticationError,
  isBrokerUnavailableError,
  isKafkaAuthenticationError,
  mapKafkaError,
} from './kafkaErrors';
export { agentbusTopics, ensureTopics, waitForTopics, TopicsNotReadyError } from './topics';
export type { TopicSpec, TopicSettings, TopicReadiness, WaitForTopicsOptions } from './topics';
export { readToEnd, readerGroupPrefix } from './readToEnd';
export type { ReadRecord } from './readToEnd';
export { keyHashPartitioner, murmur2 } from './partitioner';
