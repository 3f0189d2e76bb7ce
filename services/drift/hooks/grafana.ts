import { expectObject, parseAlerts, type InboundPayload } from './payload.js';

/**
 * Grafana unified alerting's webhook contact point payload:
 * `{ receiver, status, orgId, alerts: [{ status, labels, annotations, startsAt,
 * endsAt, values, generatorURL, fingerprint, silenceURL, ... }], groupLabels,
 * commonLabels, commonAnnotations, externalURL, version: "1", groupKey,
 * truncatedAlerts, title, state, message }`
 * (grafana/grafana docs/sources/alerting/configure-notifications/manage-contact-points/
 * integrations/webhook-notifier.md, "Webhook JSON payload"). Only `alerts` drives
 * retraining; `version` is Grafana's own ("1") and is not checked.
 */
export function parseGrafanaPayload(json: unknown): InboundPayload {
  const body = expectObject(json, '');
  return { source: 'grafana', alerts: parseAlerts(body) };
}
