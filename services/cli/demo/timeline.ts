import { topicName, type Topic } from '../../../schemas/index.js';
import { errorMessage, type Consumer, type IncomingMessage, type Logger } from '../../common/index.js';
import type { DriftReport } from '../../drift/index.js';
import type { Runtime } from '../runtime.js';

/** The control topics whose events tell the loop's story, in the order the loop runs. */
export const LOOP_TOPICS = ['drift-reports', 'retrain-requests', 'training-results', 'evaluations', 'registry-events', 'rollout-events'] as const satisfies readonly Topic[];
export type LoopTopic = (typeof LOOP_TOPICS)[number];

interface Cause {
  kind: string;
  ref: string;
  detail: string;
}
export interface RetrainRequestEvent {
  ts: number;
  run_id: string;
  cause: Cause;
  requested_by: string;
}
export interface TrainingResultEvent {
  ts: number;
  run_id: string;
  state: string;
  trials: number;
  metrics: Record<string, number>;
  message: string;
}
export interface EvaluationEvent {
  ts: number;
  run_id: string;
  candidate_version: string;
  champion_version: string | null;
  decision: string;
  reason: string;
  candidate_metrics: Record<string, number>;
  champion_metrics: Record<string, number>;
  gates: { name: string; passed: boolean; value: number; threshold: number; detail: string }[];
}
export interface RegistryEvent {
  ts: number;
  run_id: string | null;
  version: string;
  action: string;
  alias: string | null;
  previous_version: string | null;
  reason: string;
}
export interface RolloutEvent {
  ts: number;
  run_id: string;
  version: string;
  champion_version: string | null;
  phase: string;
  step: number;
  weight: number;
  state: string;
  reason: string;
  checks: { name: string; passed: boolean; value: number; threshold: number; detail: string }[];
}

/** Every control event of the demo's model, as decoded from its topic, in arrival order per topic. */
export interface LoopEvents {
  'drift-reports': DriftReport[];
  'retrain-requests': RetrainRequestEvent[];
  'training-results': TrainingResultEvent[];
  evaluations: EvaluationEvent[];
  'registry-events': RegistryEvent[];
  'rollout-events': RolloutEvent[];
}

export interface Timeline {
  readonly events: LoopEvents;
  /** Called after each event is recorded (for milestone lines). */
  onEvent(listener: <T extends LoopTopic>(topic: T, event: LoopEvents[T][number]) => void): void;
  close(): Promise<void>;
}

/**
 * Follows the loop the way any operator's tool can: a consumer group of its
 * own on the control topics (drift reports, retrain requests, training
 * results, evaluations, registry and rollout events), decoding each event with
 * the contract's codec and keeping the demo model's.
 */
export async function followLoop(runtime: Pick<Runtime, 'bus' | 'codec' | 'config'>, model: string, logger: Logger): Promise<Timeline> {
  const events: LoopEvents = { 'drift-reports': [], 'retrain-requests': [], 'training-results': [], evaluations: [], 'registry-events': [], 'rollout-events': [] };
  const listeners: Parameters<Timeline['onEvent']>[0][] = [];
  const byName = new Map<string, LoopTopic>(LOOP_TOPICS.map((t) => [topicName(runtime.config.topicPrefix, t), t]));

  async function record(message: IncomingMessage): Promise<void> {
    const topic = byName.get(message.topic);
    if (!topic || !message.value) return;
    try {
      const event = await runtime.codec.decode(topic, message.value);
      if (event.model !== model) return;
      (events[topic] as unknown[]).push(event);
      for (const listener of listeners) listener(topic, event as never);
    } catch (err) {
      logger.warn({ topic: message.topic, offset: message.offset, err: errorMessage(err) }, 'demo: unreadable control event skipped');
    }
  }

  const consumers: Consumer[] = [];
  // One member per topic: a control topic appears when its first event is produced, and a member of several would rebalance each time.
  for (const topic of LOOP_TOPICS) {
    consumers.push(await runtime.bus.consumer({
      groupId: `driftloop-demo-${topic}-${process.pid}-${Date.now()}`,
      topics: [topicName(runtime.config.topicPrefix, topic)],
      fromBeginning: true,
      sessionTimeoutMs: 6_000,
      onBatch: async (messages) => {
        for (const m of messages) await record(m);
      },
      onError: (err) => logger.warn({ topic, err: errorMessage(err) }, 'demo: control consumer error'),
    }));
  }
  return {
    events,
    onEvent: (listener) => void listeners.push(listener),
    close: async () => {
      await Promise.all(consumers.map((c) => c.close()));
    },
  };
}
