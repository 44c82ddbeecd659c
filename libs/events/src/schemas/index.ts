export * from './eventTypes.generated';
