import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSSASLAuthenticationError } from 'kafkajs';
import { isBrokerUnavailableError, isKafkaAuthenticationError, mapKafkaError } from './kafkaErrors';

const brokers = ['127.0.0.1:9094'];
// What kafkajs 2.2.4 throws for a refused SCRAM login, seen against the local Kafka 4.4 broker.
const refused = () =>
  new (KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error)(
    'SASL SCRAM SHA256 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256',
  );

describe('mapKafkaError', () => {
  it('maps a refused SCRAM login to KAFKA_AUTHENTICATION_FAILED naming the broker and the variables', () => {
    const mapped = mapKafkaError(refused(), brokers) as Error & { code: string; retriable: boolean };
    expect(isKafkaAuthenticationError(mapped)).toBe(true);
    expect(mapped.code).toBe('KAFKA_AUTHENTICATION_FAILED');
    expect(mapped.retriable).toBe(false);
    expect(mapped.message).toBe(
      'Kafka refused the credentials at 127.0.0.1:9094: SASL SCRAM SHA256 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256. Check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM',
    );
  });

  it('finds the refused login inside the wrapper kafkajs retrier puts around it', () => {
    const inner = refused();
    const wrapped = new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(inner, { cause: inner });
    expect(isKafkaAuthenticationError(mapKafkaError(wrapped, brokers))).toBe(true);
  });

  it('maps a broker SASL_AUTHENTICATION_FAILED response too', () => {
    const protocol = new KafkaJSProtocolError({ message: 'auth failed', type: 'SASL_AUTHENTICATION_FAILED', code: 58, retriable: false } as unknown as Error);
    expect(isKafkaAuthenticationError(mapKafkaError(protocol, brokers))).toBe(true);
  });

  it('maps an exhausted retry of a refused connection to BROKER_UNAVAILABLE with the root cause', () => {
    const connection = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9094');
    const exhausted = new (KafkaJSNumberOfRetriesExceeded as unknown as new (e: Error, o: object) => Error)(connection, { retryCount: 2, retryTime: 400 });
    const mapped = mapKafkaError(exhausted, brokers) as Error;
    expect(isBrokerUnavailableError(mapped)).toBe(true);
    expect(mapped.message).toContain('connect ECONNREFUSED 127.0.0.1:9094');
  });

  it('leaves anything else as it is', () => {
    const other = new Error('something else');
    expect(mapKafkaError(other, brokers)).toBe(other);
    expect(mapKafkaError(undefined, brokers)).toBeUndefined();
  });
});
