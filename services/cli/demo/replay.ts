import { topicName } from '../../../schemas/index.js';
import { errorMessage, type OutgoingMessage } from '../../common/index.js';
import type { Runtime } from '../runtime.js';
import type { Elec2Row } from './elec2.js';
import { LABEL_DELAY_MS, MODEL } from './history.js';

/** One replayed record: what the gateway answered and what turned out to be true. */
export interface Answer {
  index: number;
  /** Wall-clock time of the answer, ms. */
  at: number;
  variant: string;
  version: string;
  correct: boolean;
}

export interface ReplayOptions {
  gatewayUrl: string;
  runtime: Pick<Runtime, 'bus' | 'codec' | 'config'>;
  rows: readonly Elec2Row[];
  rowsPerSecond: number;
  rowsPerRequest: number;
  /**
   * The header the gateway reads a trusted caller's event time from
   * (GATEWAY_EVENT_TIME_HEADER): each request is stamped with its first
   * record's time in Elec2, so the loop's windows, cooldowns and schedules
   * run on Elec2's clock however fast the replay goes.
   */
  eventTimeHeader: string;
  /**
   * Checked before each request: while true, the replay waits. The demo holds
   * it while the loop trains and evaluates, work of minutes that takes next to
   * no time on Elec2's clock of half hours.
   */
  held?(): boolean;
  /** Checked before each request: false ends the replay early. */
  keepGoing(): boolean;
}

export interface Replay {
  readonly answers: readonly Answer[];
  /** Records answered so far. */
  readonly answered: number;
  /** The next record to send (its Elec2 index), or the end. */
  readonly position: number;
  readonly failures: number;
  readonly lastError: string;
  /** The Elec2 index being replayed at wall-clock time `ms`. */
  positionAt(ms: number): number;
  /** Resolves when the replay ended (rows exhausted or keepGoing false) and every label was produced. */
  readonly finished: Promise<void>;
}

/** Entities the replayed requests come from: the canary split is sticky per entity. */
const ENTITIES = 101;

/**
 * Replays Elec2 records through the prediction gateway, as live traffic:
 * `rowsPerRequest` records per KServe v1 request at up to `rowsPerSecond`,
 * each request in its records' own time, and each answered record's label
 * produced to Kafka as soon as it is answered, stamped half an hour after
 * its record (when Elec2 knew it). The
 * gateway emits the features and predictions itself; the demo only sends what
 * a client and a labelling job would.
 */
export function startReplay(options: ReplayOptions): Replay {
  const { rows, rowsPerRequest, rowsPerSecond, runtime } = options;
  const answers: Answer[] = [];
  const positions: { at: number; index: number }[] = [];
  const labelSends: Promise<void>[] = [];
  let next = 0;
  let failures = 0;
  let lastError = '';

  async function produceLabels(batch: readonly Elec2Row[]): Promise<void> {
    const messages: OutgoingMessage[] = [];
    for (const row of batch) {
      const event_id = `live-${row.index}`;
      messages.push({ key: event_id, value: await runtime.codec.encode('labels', { event_id, model: MODEL, ts: row.ts + LABEL_DELAY_MS, label: row.label }, 'avro') });
    }
    const producer = await runtime.bus.producer();
    await producer.send(topicName(runtime.config.topicPrefix, 'labels'), messages);
  }

  async function request(batch: readonly Elec2Row[]): Promise<void> {
    const instances = batch.map((r) => ({ event_id: `live-${r.index}`, entity_id: `site-${r.index % ENTITIES}`, numeric: r.numeric, categorical: { day: r.day } }));
    try {
      const headers = { 'content-type': 'application/json', [options.eventTimeHeader]: String(batch[0]!.ts) };
      const res = await fetch(`${options.gatewayUrl}/v1/models/${MODEL}:predict`, { method: 'POST', headers, body: JSON.stringify({ instances }) });
      const body = (await res.json()) as { predictions?: { label: string; variant: string; model_version: string }[]; message?: string };
      if (!res.ok || !body.predictions) throw new Error(`${res.status} ${body.message ?? ''}`);
      const at = Date.now();
      body.predictions.forEach((p, i) => answers.push({ index: batch[i]!.index, at, variant: p.variant, version: p.model_version, correct: p.label === batch[i]!.label }));
      labelSends.push(produceLabels(batch).catch((err: unknown) => void (lastError = `labels: ${errorMessage(err)}`)));
    } catch (err) {
      failures += batch.length;
      lastError = errorMessage(err);
    }
  }

  async function run(): Promise<void> {
    const started = Date.now();
    let heldMs = 0;
    while (next < rows.length && options.keepGoing()) {
      if (options.held?.()) {
        const from = Date.now();
        while (options.held() && options.keepGoing()) await new Promise((resolve) => setTimeout(resolve, 50));
        heldMs += Date.now() - from;
        continue;
      }
      const due = started + heldMs + (next / rowsPerSecond) * 1000;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      const batch = rows.slice(next, next + rowsPerRequest);
      positions.push({ at: Date.now(), index: batch[0]!.index });
      await request(batch);
      next += batch.length;
    }
    await Promise.all(labelSends);
  }

  const finished = run();
  return {
    answers,
    get answered() {
      return answers.length;
    },
    get position() {
      return rows[next]?.index ?? (rows.at(-1)?.index ?? 0) + 1;
    },
    get failures() {
      return failures;
    },
    get lastError() {
      return lastError;
    },
    positionAt(ms) {
      let lo = 0;
      let hi = positions.length - 1;
      if (hi < 0 || ms < positions[0]!.at) return rows[0]?.index ?? 0;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (positions[mid]!.at <= ms) lo = mid;
        else hi = mid - 1;
      }
      return positions[lo]!.index;
    },
    finished,
  };
}
