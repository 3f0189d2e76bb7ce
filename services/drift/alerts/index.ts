/** Outbound alerts: Alertmanager v4 payloads to webhooks, signed and retried. */
export { createAlertSender, verifyDriftloopSignature, signDriftloopPayload, toAlertmanagerPayload } from './outbound.js';
export type { AlertSender, AlertSenderOptions, AlertWebhook, AlertmanagerWebhookPayload, OutboundAlert } from './outbound.js';
export { labelsFingerprint, labelsGroupKey } from './fingerprint.js';
export { createClickHouseAlertOutbox, outboxTarget } from './outbox.js';
export type { AlertOutbox, OutboxEntry, SettledOutcome } from './outbox.js';
