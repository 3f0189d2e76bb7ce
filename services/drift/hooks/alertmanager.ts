import { ValidationError } from '../../common/index.js';
import { expectObject, parseAlerts, type InboundPayload } from './payload.js';

/**
 * Alertmanager's webhook_config payload, version "4":
 * `{ version: "4", groupKey, truncatedAlerts, status, receiver, groupLabels,
 * commonLabels, commonAnnotations, externalURL, alerts: [{ status, labels,
 * annotations, startsAt, endsAt, generatorURL, fingerprint }] }`
 * (prometheus.io/docs/alerting/latest/configuration/#webhook_config). Another
 * version means a format this parser was not written for, so it is refused.
 */
export function parseAlertmanagerPayload(json: unknown): InboundPayload {
  const body = expectObject(json, '');
  if (body.version !== '4') throw new ValidationError('/version', `must be "4" (Alertmanager webhook payload version), got ${JSON.stringify(body.version) ?? 'nothing'}`);
  return { source: 'alertmanager', alerts: parseAlerts(body) };
}
