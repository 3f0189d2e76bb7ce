import { commonOptions, type Option } from '../../common/index.js';
import { driftOptions } from '../../drift/index.js';
import { ingestOptions } from '../../ingest/index.js';
import { trainerOptions } from '../../trainer/index.js';
import { gatewayOptions } from '../../gateway/index.js';
import { evaluatorOptions } from '../../evaluator/index.js';
import { registryOptions } from '../../registry/index.js';
import { rolloutOptions } from '../../rollout/index.js';

export const OPTION_GROUPS: Record<string, Record<string, Option<unknown>>> = {
  common: commonOptions,
  ingest: ingestOptions,
  drift: driftOptions,
  trainer: trainerOptions,
  evaluator: evaluatorOptions,
  registry: registryOptions,
  rollout: rolloutOptions,
  gateway: gatewayOptions,
};

/** The configuration table (the README's is this output with --markdown). */
export function printConfig(markdown: boolean): void {
  const rows = Object.entries(OPTION_GROUPS).flatMap(([group, options]) =>
    Object.values(options).map((o) => ({ group, env: o.env, default: o.defaultText ?? '(required)', allowed: o.allowed, doc: o.doc })),
  );
  if (!markdown) {
    for (const r of rows) console.log(`${r.env}=${r.default}\n    ${r.doc} Allowed: ${r.allowed}.`);
    return;
  }
  console.log('| variable | default | allowed | meaning |\n|---|---|---|---|');
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  for (const r of rows) console.log(`| \`${r.env}\` | ${r.default === '' ? '(empty)' : `\`${cell(r.default)}\``} | ${cell(r.allowed)} | ${cell(r.doc)} |`);
}
