import { createHash } from 'node:crypto';

/**
 * Identity of an alert from its labels alone, in the 16-hex shape Alertmanager
 * and Grafana use for `fingerprint`. The labels are sorted by name and encoded
 * as JSON pairs, so no choice of names or values can make two different label
 * sets serialize alike.
 */
export function labelsFingerprint(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((name) => [name, labels[name]]);
  return createHash('sha256').update(JSON.stringify(pairs)).digest('hex').slice(0, 16);
}

/**
 * Alertmanager's own groupKey shape, `{}:{a="1", b="2"}`, over every label:
 * each outbound alert is its own group.
 */
export function labelsGroupKey(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`);
  return `{}:{${pairs.join(', ')}}`;
}
