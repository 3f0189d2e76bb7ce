import { createHash } from 'node:crypto';
import { fromDateTime64Text, toDateTime64Text, type ClickHouse } from '../../common/index.js';

/** One alert for one webhook, as recorded before its first delivery attempt. */
export interface OutboxEntry {
  /** Which webhook: {@link outboxTarget} of its URL. */
  target: string;
  idempotencyKey: string;
  model: string;
  /** The exact payload, so a resend is byte for byte the same. */
  body: string;
  queuedAt: number;
}

/** How a delivery ended, never to be tried again. */
export type SettledOutcome = 'delivered' | 'failed' | 'dropped';

/** Where outbound alerts wait until they are settled: what a restart sends again. */
export interface AlertOutbox {
  record(entries: readonly OutboxEntry[]): Promise<void>;
  settle(target: string, idempotencyKey: string, outcome: SettledOutcome, at: number): Promise<void>;
  /** Recorded and not settled, oldest first, at most `limit`. */
  unsettled(targets: readonly string[], limit: number): Promise<OutboxEntry[]>;
}

/** A webhook's identity in the outbox: a hash of its URL, which may carry credentials. */
export function outboxTarget(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 24);
}

/** The outbox in ClickHouse (migration 009_alert_outbox.sql). */
export function createClickHouseAlertOutbox(ch: ClickHouse): AlertOutbox {
  return {
    async record(entries) {
      await ch.insertObjects(
        'alert_outbox',
        entries.map((e) => ({ target: e.target, idempotency_key: e.idempotencyKey, model: e.model, body: e.body, queued_at: toDateTime64Text(e.queuedAt) })),
      );
    },
    async settle(target, idempotencyKey, outcome, at) {
      await ch.insertObjects('alert_settled', [{ target, idempotency_key: idempotencyKey, outcome, settled_at: toDateTime64Text(at) }]);
    },
    async unsettled(targets, limit) {
      if (targets.length === 0) return [];
      const rows = await ch.query<{ target: string; idempotency_key: string; model: string; body: string; queued_at: string }>(
        `SELECT target, idempotency_key, model, body, toString(queued_at) AS queued_at
         FROM {db:Identifier}.alert_outbox FINAL
         WHERE target IN {targets:Array(String)}
           AND (target, idempotency_key) NOT IN (SELECT target, idempotency_key FROM {db:Identifier}.alert_settled WHERE target IN {targets:Array(String)})
         ORDER BY queued_at, idempotency_key
         LIMIT {limit:UInt32}`,
        { targets, limit },
      );
      return rows.map((r) => ({ target: r.target, idempotencyKey: r.idempotency_key, model: r.model, body: r.body, queuedAt: fromDateTime64Text(r.queued_at) }));
    },
  };
}
