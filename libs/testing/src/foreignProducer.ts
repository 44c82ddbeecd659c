import * as avro from 'avsc';

/**
 * What a producer in another language writes (librdkafka with Apache Avro, say): Confluent framing
 * around plain Avro, built here without any agentbus encoder so tests see another client's bytes.
 */
export const confluentFramed = (schemaId: number, writerSchema: object, value: unknown): Buffer => {
  const header = Buffer.alloc(5);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, avro.Type.forSchema(writerSchema as avro.Schema).toBuffer(value)]);
};

/** A record that is no agentbus event, as another team might register under an event topic's subject. */
export const invoiceSchema = {
  type: 'record',
  name: 'Invoice',
  namespace: 'com.acme',
  fields: [
    { name: 'invoiceId', type: 'string' },
    { name: 'amountCents', type: 'long' },
  ],
};
