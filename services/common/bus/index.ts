export type {
  EventBus,
  EventBusOptions,
  Producer,
  Consumer,
  ConsumerOptions,
  IncomingMessage,
  OutgoingMessage,
  TopicPartition,
  TopicPartitionOffset,
  PartitionLag,
  PartitionOffsets,
} from './types.js';
export { startEmbeddedKafka } from './embedded-kafka.js';
export type { EmbeddedKafka } from './embedded-kafka.js';
export { createEventBus } from './create-bus.js';
export type { CreateEventBusOptions } from './create-bus.js';
export { consumeEvents } from './event-consumer.js';
export type { EventConsumerOptions } from './event-consumer.js';
export { createKafkaAdmin } from './kafka-admin.js';
export type { KafkaAdmin, GroupDescription, PartitionOffset } from './kafka-admin.js';
export { checkHeaderValues } from './header-values.js';
export { createStallWatch } from './stall-watch.js';
export type { StallWatch, StalledPartition } from './stall-watch.js';
