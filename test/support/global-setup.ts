import type { TestProject } from 'vitest/node';
import { startEmbeddedKafka } from '../../services/common/bus/embedded-kafka.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap servers of the mock cluster every test file shares (topics are unique per test). */
    kafkaBrokers: string;
  }
}

/** One embedded Kafka for the whole run; each test uses its own topic names. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const kafka = await startEmbeddedKafka({ brokers: 3 });
  project.provide('kafkaBrokers', kafka.brokers.join(','));
  return () => kafka.stop();
}
