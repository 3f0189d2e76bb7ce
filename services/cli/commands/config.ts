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

/** Every option, in the order the table lists them. */
function optionRows(): { env: string; default: string; allowed: string; doc: string }[] {
  return Object.values(OPTION_GROUPS).flatMap((options) => Object.values(options).map((o) => ({ env: o.env, default: o.defaultText ?? '(required)', allowed: o.allowed, doc: o.doc })));
}

/** The configuration table in Markdown: the README's, which a test holds to this. */
export function configMarkdown(): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    '| variable | default | allowed | meaning |',
    '|---|---|---|---|',
    ...optionRows().map((r) => `| \`${r.env}\` | ${r.default === '' ? '(empty)' : `\`${cell(r.default)}\``} | ${cell(r.allowed)} | ${cell(r.doc)} |`),
  ].join('\n');
}

/**
 * The configuration in effect: each option's value from `env` (checked, so a
 * bad one fails here naming the key), or its default; secrets as <set>. With
 * `markdown`, the table of options and defaults (the README's).
 */
export function printConfig(markdown: boolean, env: NodeJS.ProcessEnv = process.env): void {
  if (markdown) return void console.log(configMarkdown());
  // Every value is read before anything is printed: a bad one fails alone, naming its key.
  const lines = Object.values(OPTION_GROUPS).flatMap((options) =>
    Object.values(options).map((o) => {
      const raw = env[o.env];
      const set = raw !== undefined && raw !== '';
      const value = set ? (o.secret ? (o.read(raw), '<set>') : o.render(o.read(raw))) : (o.defaultText ?? '(required)');
      return `${o.env}=${value}${set ? `   (set; default ${o.defaultText === '' ? '(empty)' : (o.defaultText ?? 'none')})` : ''}\n    ${o.doc} Allowed: ${o.allowed}.`;
    }),
  );
  console.log(lines.join('\n'));
}
