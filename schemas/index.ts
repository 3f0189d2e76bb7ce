import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { avroToJsonSchema, type AvroField, type FieldRules } from './json-schema.js';

export type { FieldRules, AvroField } from './json-schema.js';
export { avroToJsonSchema, ISO_TIMESTAMP } from './json-schema.js';
export * from './constants.js';

/** Every topic of the contract, by its name without the configurable prefix. */
export const TOPICS = [
  'features',
  'predictions',
  'labels',
  'drift-reports',
  'retrain-requests',
  'training-results',
  'evaluations',
  'registry-events',
  'rollout-events',
  'dlq',
] as const;
export type Topic = (typeof TOPICS)[number];

/** Model names, as every topic's `model` field (its `x-rules` pattern) and every route take them. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** The longest model name {@link MODEL_NAME_PATTERN} allows. */
export const MODEL_NAME_MAX_LENGTH = 128;

/** High-volume topics from producers; they accept Avro, JSON Schema and plain JSON. */
export const DATA_TOPICS = ['features', 'predictions', 'labels'] as const;
export type DataTopic = (typeof DATA_TOPICS)[number];

export interface AvroRecordSchema {
  type: 'record';
  name: string;
  namespace?: string;
  doc?: string;
  fields: AvroField[];
}

const cache = new Map<Topic, AvroRecordSchema>();

/** The topic's Avro schema as JSON (the .avsc file in schemas/avro). */
export function avroSchema(topic: Topic): AvroRecordSchema {
  let schema = cache.get(topic);
  if (!schema) {
    schema = JSON.parse(readFileSync(fileURLToPath(new URL(`./avro/${topic}.avsc`, import.meta.url)), 'utf8')) as AvroRecordSchema;
    cache.set(topic, schema);
  }
  return schema;
}

/** The topic's JSON Schema, derived from the Avro schema (also written to schemas/json by `npm run schemas`). */
export function jsonSchema(topic: Topic): Record<string, unknown> {
  return avroToJsonSchema(avroSchema(topic) as Parameters<typeof avroToJsonSchema>[0], `https://driftloop.dev/schemas/${topic}.schema.json`);
}

/** Validation rules of one field of a topic's schema. */
export function fieldRules(topic: Topic, field: string): FieldRules {
  return avroSchema(topic).fields.find((f) => f.name === field)?.['x-rules'] ?? {};
}

/** Full Kafka topic name. */
export function topicName(prefix: string, topic: Topic): string {
  return `${prefix}${topic}`;
}

/** Schema Registry subject of a topic's values (Confluent TopicNameStrategy). */
export function valueSubject(prefix: string, topic: Topic): string {
  return `${topicName(prefix, topic)}-value`;
}
