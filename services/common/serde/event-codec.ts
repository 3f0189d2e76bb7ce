import { AvroDeserializer, AvroSerializer } from '@confluentinc/schemaregistry/dist/serde/avro.js';
import { JsonDeserializer, JsonSerializer } from '@confluentinc/schemaregistry/dist/serde/json.js';
import { SerdeType } from '@confluentinc/schemaregistry/dist/serde/serde.js';
import { avroSchema, jsonSchema, topicName, valueSubject, type Topic } from '../../../schemas/index.js';
import { DecodeError } from '../errors.js';
import type { RegistryClient } from './registry-client.js';
import { confluentSchemaId, looksLikeJsonObject } from './wire.js';

/** How a producer frames an event: Confluent Avro, Confluent JSON Schema, or bare JSON. */
export type Encoding = 'avro' | 'json-schema' | 'json';

export interface EventCodec {
  /** Registers the contract's Avro and JSON schemas for `topics` (idempotent) and returns the Avro ids. */
  register(topics: readonly Topic[]): Promise<Map<Topic, number>>;
  encode(topic: Topic, event: object, encoding?: Encoding): Promise<Buffer>;
  /** Decodes any of the three encodings, picking by the bytes. */
  decode(topic: Topic, value: Buffer): Promise<Record<string, unknown>>;
}

/**
 * Subject of a topic's JSON Schema. A subject holds one schema type, so JSON
 * Schema producers use Confluent's TopicRecordNameStrategy
 * (`<topic>-<schema title>`, e.g. `driftloop.features-FeatureEvent`) beside
 * Avro's TopicNameStrategy (`<topic>-value`).
 */
export function jsonValueSubject(prefix: string, topic: Topic): string {
  return `${topicName(prefix, topic)}-${avroSchema(topic).name}`;
}

/**
 * Encodes and decodes contract events through the Confluent serdes of
 * `@confluentinc/schemaregistry`, with the contract's own schemas registered
 * under TopicNameStrategy subjects. For control topics, producers, tests and
 * the demo; the ingest hot path decodes Avro itself.
 */
export function createEventCodec(options: { client: RegistryClient; topicPrefix: string }): EventCodec {
  const { client, topicPrefix } = options;
  const ids = new Map<string, Promise<number>>();
  const serializers = new Map<string, AvroSerializer | JsonSerializer>();
  // Explicit subjects: the serdes' default (ASSOCIATED) costs an extra registry call and only falls back to these.
  const avroSubject = (topic: string): string => `${topic}-value`;
  const avroDeserializer = new AvroDeserializer(client, SerdeType.VALUE, { subjectNameStrategy: avroSubject });
  const jsonDeserializer = new JsonDeserializer(client, SerdeType.VALUE, { validate: false, subjectNameStrategy: avroSubject });

  const schemaId = (topic: Topic, kind: 'avro' | 'json'): Promise<number> => {
    const key = `${kind}:${topic}`;
    let id = ids.get(key);
    if (!id) {
      id =
        kind === 'avro'
          ? client.register(valueSubject(topicPrefix, topic), { schemaType: 'AVRO', schema: JSON.stringify(avroSchema(topic)) }, false)
          : client.register(jsonValueSubject(topicPrefix, topic), { schemaType: 'JSON', schema: JSON.stringify(jsonSchema(topic)) }, false);
      id.catch(() => ids.delete(key));
      ids.set(key, id);
    }
    return id;
  };

  const serializer = async (topic: Topic, kind: 'avro' | 'json'): Promise<AvroSerializer | JsonSerializer> => {
    const key = `${kind}:${topic}`;
    let s = serializers.get(key);
    if (!s) {
      const useSchemaId = await schemaId(topic, kind);
      s =
        kind === 'avro'
          ? new AvroSerializer(client, SerdeType.VALUE, { useSchemaId, subjectNameStrategy: () => valueSubject(topicPrefix, topic) })
          : new JsonSerializer(client, SerdeType.VALUE, { useSchemaId, validate: true, subjectNameStrategy: () => jsonValueSubject(topicPrefix, topic) });
      serializers.set(key, s);
    }
    return s;
  };

  return {
    async register(topics) {
      const out = new Map<Topic, number>();
      for (const topic of topics) {
        out.set(topic, await schemaId(topic, 'avro'));
        await schemaId(topic, 'json');
      }
      return out;
    },
    async encode(topic, event, encoding = 'avro') {
      if (encoding === 'json') return Buffer.from(JSON.stringify(event));
      const s = await serializer(topic, encoding === 'avro' ? 'avro' : 'json');
      return s.serialize(topicName(topicPrefix, topic), event);
    },
    async decode(topic, value) {
      const id = confluentSchemaId(value);
      if (id === undefined) {
        if (!looksLikeJsonObject(value)) throw new DecodeError('neither Confluent-framed nor a JSON object');
        return JSON.parse(value.toString('utf8')) as Record<string, unknown>;
      }
      const info = await client.getBySubjectAndId('', id);
      const d = (info.schemaType ?? 'AVRO') === 'JSON' ? jsonDeserializer : avroDeserializer;
      return (await d.deserialize(topicName(topicPrefix, topic), value)) as Record<string, unknown>;
    },
  };
}
