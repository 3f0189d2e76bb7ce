/**
 * The `driftloop` command.
 *
 *   driftloop up [--services ingest,...]   all services (or the named ones) in this process
 *   driftloop run <service>                one service against the configured servers
 *   driftloop demo [--fast | --full]       the whole loop on Elec2, on the embedded engines, in this process
 *   driftloop config [--markdown]          every configuration option, its default and what it allows
 *   driftloop runs [show <run> | compare <run> <run>… | cancel <run>]   experiment tracking (HTTP API of a running driftloop)
 *   driftloop reproduce <run>              re-execute a run from its record and compare its metrics
 *   driftloop replay <topic> --from <pos>  dead letters back to their topics, or a consumer group rewound (Kafka itself)
 *   driftloop backtest [options]           policies against retraining schedules on a labeled history, in event time
 *   driftloop drift | reports <model> | reference <model> … | retrain <model>   the drift monitor (HTTP API)
 */
import { parseArgs } from 'node:util';
import { ConfigError, ValidationError, errorMessage } from '../common/index.js';
import { up, parseServiceNames } from './commands/up.js';
import { printConfig } from './commands/config.js';
import { demo } from './commands/demo.js';
import { exitCodeOf, OUTPUT_FORMATS, type ApiOptions, type OutputFormat } from './commands/api.js';
import { buildReferenceCommand, listDriftCommand, listReportsCommand, retrainCommand } from './commands/drift.js';
import { decideVersionCommand, listModelsCommand, showModelCommand } from './commands/models.js';
import { rolloutOperationCommand, showRolloutCommand } from './commands/rollout.js';
import { statusCommand } from './commands/status.js';
import { replayCommand } from './commands/replay.js';
import { BACKTEST_USAGE, backtestCommand } from './commands/backtest.js';
import { BACKTEST_POLICIES } from './backtest/defaults.js';
import { cancelRunCommand, compareRunsCommand, listRunsCommand, reproduceCommand, showRunCommand } from './commands/runs.js';

import { COMMANDS, USAGE, closestCommand, commandUsage } from './usage.js';

/** A command line that does not parse: usage goes with the message, exit code 2. */
class UsageError extends Error {}


const API_FLAGS = { url: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' }, output: { type: 'string', short: 'o' } } as const;

function apiOptions(values: { url?: string; token?: string; json?: boolean; output?: string }): ApiOptions {
  const output = values.output ?? (values.json ? 'json' : 'table');
  if (!(OUTPUT_FORMATS as readonly string[]).includes(output)) throw new UsageError(`-o/--output must be one of ${OUTPUT_FORMATS.join(', ')}; got ${JSON.stringify(output)}`);
  if (values.json && values.output !== undefined && values.output !== 'json') throw new UsageError(`--json and -o ${values.output} disagree: give one`);
  return {
    url: values.url ?? process.env.DRIFTLOOP_URL ?? 'http://127.0.0.1:8080',
    output: output as OutputFormat,
    ...((values.token ?? process.env.DRIFTLOOP_ADMIN_TOKEN) ? { token: values.token ?? process.env.DRIFTLOOP_ADMIN_TOKEN } : {}),
  };
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  // Every command's own help (backtest has a longer one of its own).
  if (command && command !== 'backtest' && (COMMANDS as readonly string[]).includes(command) && rest.some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(commandUsage(command));
    return;
  }
  switch (command) {
    case 'up': {
      const { values } = parseArgs({ args: rest, options: { services: { type: 'string' } } });
      return up(parseServiceNames(values.services));
    }
    case 'run': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true });
      if (positionals.length !== 1) throw new UsageError('run takes exactly one service name');
      return up(parseServiceNames(positionals[0]));
    }
    case 'demo': {
      const { values } = parseArgs({ args: rest, options: { fast: { type: 'boolean' }, full: { type: 'boolean' }, dir: { type: 'string' } } });
      if (values.fast && values.full) throw new UsageError('demo takes --fast or --full, not both');
      return demo({ mode: values.full ? 'full' : 'fast', dir: values.dir });
    }
    case 'config': {
      const { values } = parseArgs({ args: rest, options: { markdown: { type: 'boolean' } } });
      return printConfig(values.markdown ?? false);
    }
    case 'runs': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { ...API_FLAGS, model: { type: 'string' }, open: { type: 'boolean' }, limit: { type: 'string' } } });
      const api = apiOptions(values);
      const [sub, ...ids] = positionals;
      if (sub === undefined) return listRunsCommand(api, { model: values.model, open: values.open ?? false, limit: Number(values.limit ?? 50) });
      if (sub === 'show' && ids.length === 1) return showRunCommand(api, ids[0]!);
      if (sub === 'compare' && ids.length >= 2) return compareRunsCommand(api, ids);
      if (sub === 'cancel' && ids.length === 1) return cancelRunCommand(api, ids[0]!);
      throw new UsageError('runs takes no argument, show <run>, compare <run> <run>..., or cancel <run>');
    }
    case 'reproduce': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: API_FLAGS });
      if (positionals.length !== 1) throw new UsageError('reproduce takes exactly one run id');
      process.exitCode = await reproduceCommand(apiOptions(values), positionals[0]!);
      return;
    }
    case 'status': {
      const { values } = parseArgs({ args: rest, options: API_FLAGS });
      return statusCommand(apiOptions(values));
    }
    case 'models': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: API_FLAGS });
      const [sub, ...names] = positionals;
      if (sub === undefined) return listModelsCommand(apiOptions(values));
      if (sub === 'show' && names.length === 1) return showModelCommand(apiOptions(values), names[0]!);
      throw new UsageError('models takes no argument, or show <model>');
    }
    case 'drift': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: API_FLAGS });
      if (positionals.length > 0) throw new UsageError('drift takes no argument (reports <model> lists a model\'s windows)');
      return listDriftCommand(apiOptions(values));
    }
    case 'reports': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { ...API_FLAGS, limit: { type: 'string' } } });
      if (positionals.length !== 1) throw new UsageError('reports takes exactly one model');
      const limit = values.limit ?? '20';
      if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) throw new UsageError(`--limit must be an integer from 1 to 1000; got ${JSON.stringify(limit)}`);
      return listReportsCommand(apiOptions(values), positionals[0]!, Number(limit));
    }
    case 'reference': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { ...API_FLAGS, version: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } } });
      if (positionals.length !== 1 || !values.version || !values.from || !values.to) throw new UsageError('reference takes <model> --version V --from T --to T');
      return buildReferenceCommand(apiOptions(values), positionals[0]!, { version: values.version, from: values.from, to: values.to });
    }
    case 'retrain': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { ...API_FLAGS, reason: { type: 'string' } } });
      if (positionals.length !== 1) throw new UsageError('retrain takes exactly one model');
      return retrainCommand(apiOptions(values), positionals[0]!, values.reason ?? 'asked from the command line');
    }
    case 'approve':
    case 'reject': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { ...API_FLAGS, reason: { type: 'string' }, actor: { type: 'string' } } });
      if (positionals.length !== 2 || !values.reason) throw new UsageError(`${command} takes <model> <version> --reason "why"`);
      return decideVersionCommand(apiOptions(values), command, positionals[0]!, positionals[1]!, values.reason, values.actor ?? process.env.USER ?? 'cli');
    }
    case 'rollout': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { ...API_FLAGS, reason: { type: 'string' }, actor: { type: 'string' } } });
      if (positionals.length === 1) return showRolloutCommand(apiOptions(values), positionals[0]!);
      if (positionals.length === 2 && positionals[0] === 'approve') return rolloutOperationCommand(apiOptions(values), 'approve', positionals[1]!, { reason: values.reason, actor: values.actor ?? process.env.USER ?? 'cli' });
      throw new UsageError('rollout takes <model>, or approve <model>');
    }
    case 'promote':
    case 'rollback':
    case 'pause':
    case 'resume': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { ...API_FLAGS, reason: { type: 'string' }, actor: { type: 'string' } } });
      if (positionals.length !== 1) throw new UsageError(`${command} takes exactly one model`);
      if (command === 'rollback' && !values.reason) throw new UsageError('rollback needs --reason "why"');
      return rolloutOperationCommand(apiOptions(values), command, positionals[0]!, { ...(values.reason ? { reason: values.reason } : {}), actor: values.actor ?? process.env.USER ?? 'cli' });
    }
    case 'replay': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { from: { type: 'string' }, to: { type: 'string' }, group: { type: 'string' }, source: { type: 'string' }, wait: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
      });
      if (positionals.length !== 1) throw new UsageError('replay takes exactly one topic: dead-letters, or a topic with --group');
      return replayCommand({ topic: positionals[0]!, from: values.from, to: values.to, group: values.group, source: values.source, wait: values.wait, dryRun: values['dry-run'] ?? false, json: values.json ?? false });
    }
    case 'backtest': {
      const { values } = parseArgs({
        args: rest,
        options: {
          help: { type: 'boolean', short: 'h' }, history: { type: 'string', default: 'elec2' }, seed: { type: 'string', default: '1' }, records: { type: 'string' }, start: { type: 'string' }, initial: { type: 'string', default: '4032' },
          policies: { type: 'string', default: JSON.stringify(BACKTEST_POLICIES) }, 'trainer-spec': { type: 'string', default: '{}' }, schedules: { type: 'string', default: '1,2,4,13' },
          'schedule-window': { type: 'string', default: '4w' }, 'label-delay': { type: 'string', default: '0ms' }, 'change-points': { type: 'string' }, report: { type: 'string' }, json: { type: 'boolean' },
        },
      });
      if (values.help) {
        process.stdout.write(BACKTEST_USAGE);
        return;
      }
      const int = (flag: string, text: string): number => {
        if (!/^\d+$/.test(text)) throw new UsageError(`${flag} takes a non-negative integer; got ${JSON.stringify(text)}`);
        return Number(text);
      };
      return backtestCommand({
        history: values.history, seed: int('--seed', values.seed), ...(values.records !== undefined ? { records: int('--records', values.records) } : {}), ...(values.start !== undefined ? { start: int('--start', values.start) } : {}), initial: int('--initial', values.initial),
        policies: values.policies, trainerSpec: values['trainer-spec'], schedules: values.schedules, scheduleWindow: values['schedule-window'], labelDelay: values['label-delay'],
        ...(values['change-points'] !== undefined ? { changePoints: values['change-points'] } : {}), ...(values.report !== undefined ? { report: values.report } : {}), json: values.json ?? false,
      });
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default: {
      const near = closestCommand(command);
      throw new UsageError(`unknown command ${JSON.stringify(command)}${near ? `; did you mean "${near}"?` : ''}`);
    }
  }
}

// Output piped into `head` and the like: stop quietly when the reader goes away.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).catch((err: unknown) => {
  // node:util parseArgs rejects an unknown flag or a missing value with a TypeError coded ERR_PARSE_ARGS_*: a usage error too.
  const usage = err instanceof UsageError || String((err as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS_');
  console.error(`driftloop: ${errorMessage(err)}${usage ? `\n\n${USAGE}` : ''}`);
  process.exit(exitCodeOf(err, usage || err instanceof ConfigError || err instanceof ValidationError));
});
