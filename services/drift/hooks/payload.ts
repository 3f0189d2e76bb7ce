import { ValidationError } from '../../common/index.js';

/** Where an alert came from; part of its cause ref. */
export type AlertSource = 'grafana' | 'alertmanager';

/** The fields of one alert the hooks act on, common to Grafana and Alertmanager. */
export interface InboundAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** As the sender wrote it (RFC 3339); kept verbatim so the cause ref is stable across redeliveries. */
  startsAt: string;
  /** The sender's fingerprint; absent when the sender left it out. */
  fingerprint?: string;
}

export interface InboundPayload {
  source: AlertSource;
  alerts: InboundAlert[];
}

type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses the raw body; the error names the byte offset JSON.parse reports. */
export function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) throw new ValidationError('', 'body is empty; expected a JSON object');
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new ValidationError('', `body is not JSON (${(err as Error).message})`, { cause: err });
  }
}

export function expectObject(value: unknown, path: string): Json {
  if (!isObject(value)) throw new ValidationError(path, 'must be an object');
  return value;
}

function stringMap(value: unknown, path: string): Record<string, string> {
  const map = expectObject(value, path);
  for (const [key, entry] of Object.entries(map)) {
    if (typeof entry !== 'string') throw new ValidationError(`${path}/${escapePointer(key)}`, 'must be a string');
  }
  return map as Record<string, string>;
}

/** JSON pointer escaping (RFC 6901), so a label name with `/` still yields a readable path. */
export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The `alerts` array both senders share (Grafana's webhook payload extends
 * Alertmanager's): status, labels, annotations, startsAt, fingerprint. Fields
 * the hooks do not read (generatorURL, values, silenceURL, ...) pass unchecked.
 */
export function parseAlerts(body: Json): InboundAlert[] {
  const alerts = body.alerts;
  if (!Array.isArray(alerts)) throw new ValidationError('/alerts', 'must be an array of alerts');
  return alerts.map((entry, i) => parseAlert(entry, `/alerts/${i}`));
}

function parseAlert(value: unknown, path: string): InboundAlert {
  const alert = expectObject(value, path);
  const { status, startsAt, fingerprint } = alert;
  if (status !== 'firing' && status !== 'resolved') throw new ValidationError(`${path}/status`, "must be 'firing' or 'resolved'");
  if (typeof startsAt !== 'string' || Number.isNaN(Date.parse(startsAt))) {
    throw new ValidationError(`${path}/startsAt`, 'must be an RFC 3339 time');
  }
  if (fingerprint !== undefined && typeof fingerprint !== 'string') throw new ValidationError(`${path}/fingerprint`, 'must be a string');
  return {
    status,
    labels: stringMap(alert.labels, `${path}/labels`),
    annotations: alert.annotations === undefined ? {} : stringMap(alert.annotations, `${path}/annotations`),
    startsAt,
    ...(fingerprint ? { fingerprint } : {}),
  };
}
