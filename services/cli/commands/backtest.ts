/**
 * `driftloop backtest`: replays a labeled history in event time through the
 * drift monitor's policy, the trainer, the evaluator's gates and the canary's
 * verdict, next to retraining schedules, and says which pays for itself.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError, createClickHouse, createLogger, loadConfig, migrate } from '../../common/index.js';
import { defaultPolicyFromConfig, driftOptions, parsePolicies } from '../../drift/index.js';
import { backtestTrainer, policyArm, releaseSettings, scheduleArms, WEEK_MS } from '../backtest/defaults.js';
import { loadHistory } from '../backtest/history.js';
import { renderBacktestReport } from '../backtest/report-html.js';
import { formatBacktest } from '../backtest/report-text.js';
import { runBacktest } from '../backtest/run.js';
import type { ArmSpec } from '../backtest/types.js';
import { parseDuration } from '../replay/index.js';

export const BACKTEST_USAGE = `usage: driftloop backtest [options]

Replays a labeled history in event time: the first champion trains on the
records before --start, then every record is answered by the arm's champion
before its label is known (prequential). Each policy decides every window
with the drift monitor's own code (window statistics in ClickHouse, policy,
retrain gate, reference rebuilt on promotion) and each retrain goes through
the trainer's search, the evaluator's gates (EVAL_*) and the canary's
analysis (ROLLOUT_*) on the records that follow. Schedules retrain every N
weeks on the trailing --schedule-window and deploy without gates, as a cron
job would; "never" keeps the first champion. All arms run in one process on
an embedded chDB (CLICKHOUSE_URL is not used).

  --history H          elec2 (default), a generated stream (sea, sea-gradual,
                       hyperplane, stationary, covariate-shift) or a CSV file
                       with ts (epoch ms or ISO), label, optional event_id and
                       feature columns (numeric when every value is a number)
  --seed N             seed of a generated stream (default 1)
  --records N          length of a generated stream (default 40000)
  --start I            index of the first replayed record (default: 16080 for
                       Elec2, else --initial)
  --initial N          records the first champion trains on (default 4032:
                       12 weeks of half-hourly records)
  --policies JSON      policies to compare, as DRIFT_POLICIES: {"name": {keys}}
                       over the monitor's DRIFT_* defaults (default: the
                       monitor's defaults with weekly windows, the same with
                       DDM, and retraining on a drop of 0.03; README)
  --trainer-spec JSON  TRAINER_SPEC keys for every retrain (default: builtin
                       logistic, lr 0.05, 1 trial, 20 epochs)
  --schedules W,...    schedule arms, in weeks (default 1,2,4,13; "" for none)
  --schedule-window D  training window of the schedules (default 4w)
  --label-delay D      labels become known this long after their record (default 0)
  --change-points I,.. record indexes where the concept is known to change
                       (generated streams bring their own)
  --report FILE        also write a self-contained HTML report
  --json               the result as JSON instead of the table
  -h, --help           this text

Durations: a number with ms, s, m, h, d or w (e.g. 90m, 2d, 4w).
`;

export interface BacktestCommandOptions {
  history: string;
  seed: number;
  /** Length of a generated stream. */
  records?: number;
  start?: number;
  initial: number;
  policies: string;
  trainerSpec: string;
  schedules: string;
  scheduleWindow: string;
  labelDelay: string;
  changePoints?: string;
  report?: string;
  json: boolean;
}

const integer = (flag: string, text: string): number => {
  if (!/^\d+$/.test(text)) throw new ValidationError(flag, `${JSON.stringify(text)} is not a non-negative integer`);
  return Number(text);
};

function parseJsonObject(flag: string, text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(flag, `is not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ValidationError(flag, 'must be a JSON object');
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

export async function backtestCommand(o: BacktestCommandOptions): Promise<void> {
  const history = await loadHistory(o.history, o.seed, o.records);
  const initial = o.initial;
  const start = o.start ?? (history.name === 'elec2' ? 16_080 : initial);
  if (start < initial || start >= history.records.length) throw new ValidationError('--start', `must be from --initial (${initial}) to ${history.records.length - 1}; got ${start}`);
  // As the monitor runs: its DRIFT_* defaults under each policy, its lateness, served span and PSI epsilon.
  const drift = loadConfig(driftOptions, process.env);
  const policies = parsePolicies(o.policies, defaultPolicyFromConfig(drift), '--policies');
  const weeks = o.schedules.trim() === '' ? [] : o.schedules.split(',').map((w) => integer('--schedules', w.trim()));
  const arms: ArmSpec[] = [{ kind: 'never', name: 'never' }, ...scheduleArms(parseDuration('--schedule-window', o.scheduleWindow), weeks), ...[...policies].map(([name, policy]) => policyArm(name, {}, policy))];
  const changePoints = o.changePoints === undefined ? history.changePoints : o.changePoints.split(',').filter(Boolean).map((i) => integer('--change-points', i.trim()));
  const trainer = backtestTrainer(parseJsonObject('--trainer-spec', o.trainerSpec));

  const dir = await mkdtemp(join(tmpdir(), 'driftloop-backtest-'));
  const logger = createLogger({ service: 'backtest', level: 'warn', destination: process.stderr });
  const clickhouse = await createClickHouse({ url: `chdb:${join(dir, 'clickhouse')}`, database: 'driftloop', logger });
  const progress = process.stderr.isTTY && !o.json;
  try {
    await migrate(clickhouse, { logger });
    const result = await runBacktest(
      {
        clickhouse, logger,
        onProgress: (arm, index, share) => {
          if (!progress) return;
          const width = 30;
          const filled = Math.round(share * width);
          process.stderr.write(`\r${`arm ${index + 1}/${arms.length} ${arm}`.padEnd(32)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%`);
        },
      },
      {
        records: history.records, startIndex: start, initialRecords: initial, labelDelayMs: parseDuration('--label-delay', o.labelDelay), arms, trainer, ...releaseSettings(),
        latenessMs: drift.driftLatenessMs, servedMs: drift.driftPromotionServedMs, psiEpsilon: drift.driftPsiEpsilon, changePoints, workDir: join(dir, 'work'), periodMs: WEEK_MS,
      },
    );
    if (progress) process.stderr.write('\r\x1b[K');
    if (o.report) await writeFile(o.report, renderBacktestReport(result, history.name));
    process.stdout.write(o.json ? `${JSON.stringify(result, null, 2)}\n` : formatBacktest(result));
    if (o.report && !o.json) process.stdout.write(`report: ${o.report}\n`);
  } finally {
    await clickhouse.close();
    await rm(dir, { recursive: true, force: true });
  }
}
