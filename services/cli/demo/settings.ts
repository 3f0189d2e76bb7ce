import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BACKTEST_POLICIES, BACKTEST_TRAINER, DAY_MS, WEEK_MS } from '../backtest/defaults.js';
import { MODEL } from './history.js';

/** The first Elec2 record of May 1997, when the Victorian columns (constant before) start to carry data. */
export const VICTORIA_JOINS_INDEX = 17_424;

/** Half-hourly records: a request carries half a day of them. */
const HALF_A_DAY = 24;
const TWO_WEEKS = 14 * 48;

/** The gateway header the demo's requests carry their records' Elec2 time in (GATEWAY_EVENT_TIME_HEADER). */
export const EVENT_TIME_HEADER = 'x-driftloop-event-time';

/**
 * The retraining policy the demo runs, by name (README, Backtest): the
 * monitor's defaults with weekly windows, which `driftloop backtest` compares
 * with the schedules on Elec2: feature drift watched and reported, a retrain
 * when the champion's accuracy falls 0.05 below its reference (the higher of
 * what it served and its test accuracy at training), at most one a window,
 * each trained on the last 6 windows, all in Elec2's time.
 */
export const DEMO_POLICY: keyof typeof BACKTEST_POLICIES = 'monitor defaults, weekly windows';

/** Which part of Elec2 the demo plays, how fast, and how the loop is tuned to keep up. */
export interface DemoPlan {
  mode: 'fast' | 'full';
  /** Records the first champion trains on (and its drift reference is built from), produced through Kafka. */
  history: { from: number; to: number };
  /** Records replayed through the gateway after that, at most. */
  replay: { from: number; to: number };
  /** Replayed records per second, at most. */
  rowsPerSecond: number;
  /** Records per gateway request. */
  rowsPerRequest: number;
  /** Drift windows: this much of Elec2's time each. */
  windowMs: number;
  /** Records replayed after the rollout ended (promoted or rolled back), to show the accuracy after it. */
  tailRows: number;
  /** Longest the loop may take after the replay started before the demo gives up on it. */
  loopTimeoutMs: number;
}

/**
 * --fast (the default): the 12 weeks before the replay train the first
 * champion; the replay starts 4 weeks before Victoria joins and runs until
 * the retrained model has been rolled out (plus a tail). --full: every
 * record, everything before that as history, the rest replayed to the end.
 *
 * Everything runs on Elec2's clock: a request's records are stamped with
 * their own time, so a weekly window is a week of the market however fast
 * the replay goes (336 records, a week, a second). The loop's own work
 * (training, evaluation, the rollout's steps) takes processing time, during
 * which the replay goes on: a rollout of a few seconds spans a few weeks.
 */
export function demoPlan(mode: 'fast' | 'full', totalRows: number): DemoPlan {
  if (mode === 'full') {
    const start = VICTORIA_JOINS_INDEX - 2 * TWO_WEEKS;
    return {
      mode, history: { from: 0, to: start }, replay: { from: start, to: totalRows }, rowsPerSecond: 336, rowsPerRequest: HALF_A_DAY,
      windowMs: WEEK_MS, tailRows: Number.POSITIVE_INFINITY, loopTimeoutMs: 600_000,
    };
  }
  // Four weeks of unchanged data before Victoria joins: the champion's reference is completed from its answers there.
  const start = VICTORIA_JOINS_INDEX - 2 * TWO_WEEKS;
  return {
    mode, history: { from: start - 6 * TWO_WEEKS, to: start }, replay: { from: start, to: Math.min(totalRows, start + 30_000) }, rowsPerSecond: 336, rowsPerRequest: HALF_A_DAY,
    windowMs: WEEK_MS, tailRows: 1_500, loopTimeoutMs: 150_000,
  };
}

/** Where the demo keeps its data (wiped at the start), logs and report. */
export interface DemoPaths {
  dir: string;
  log: string;
  report: string;
}

export function demoPaths(dir = '.data/demo'): DemoPaths {
  return { dir, log: join(dir, 'driftloop.log'), report: join(dir, 'report.html') };
}

/**
 * The environment the demo's services read: the embedded engines under the
 * demo's directory, a fresh admin token, the gateway taking the requests'
 * Elec2 time from the demo (a trusted caller), the drift monitor on the
 * backtest's policy in Elec2's time, the backtest's trainer, and rollout
 * steps shrunk to seconds. Anything set in the caller's environment wins, so
 * each knob can be tried.
 */
export function demoEnv(plan: DemoPlan, paths: DemoPaths, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const data = (name: string): string => join(paths.dir, name);
  return {
    LOG_LEVEL: 'info',
    HTTP_PORT: '0',
    CLICKHOUSE_URL: `chdb:${data('clickhouse')}`,
    DRIFTLOOP_ADMIN_TOKEN: randomBytes(16).toString('hex'),
    TRAINER_ARTIFACTS_DIR: data('artifacts'), TRAINER_WORK_DIR: data('trainer'), REGISTRY_ARTIFACTS_DIR: data('registry'),
    INGEST_BATCH_MAX_WAIT_MS: '200',
    GATEWAY_EVENT_TIME_HEADER: EVENT_TIME_HEADER,
    // The evaluation's holdout is the few hundred labeled answers that came after the training window: on 240 rows the
    // paired interval of candidate minus champion spans about ±0.05 around the difference, so the default allowance
    // (0.02 on the worse side) turned down a retrain 2.5 points better (seen in CI). Here the interval may reach 0.05.
    EVAL_MARGIN: '0.05',
    // Weekly windows of Elec2's time, closed a day after their end, and a day more for the labels of the model's accuracy
    // (a request is stamped with its first record's time, its labels with their own: up to 12.5 hours later).
    DRIFT_WINDOW_MS: String(plan.windowMs), DRIFT_LATENESS_MS: String(DAY_MS), DRIFT_LABEL_DELAY_MS: String(DAY_MS), DRIFT_POLL_INTERVAL_MS: '250',
    DRIFT_POLICIES: JSON.stringify({ [MODEL]: BACKTEST_POLICIES[DEMO_POLICY] }),
    // The backtest's trainer (logistic regression, one setting), so the schedule the summary compares with trains the same way.
    TRAINER_SPEC: JSON.stringify(BACKTEST_TRAINER),
    // Rollout steps of a second (processing time: the rollout protects the serving system).
    // No 100% step: the analysis compares the candidate with the champion's share of the same step, which a 100% step
    // leaves empty; passing the last step promotes.
    // A second a step is a week of Elec2: 336 records, 84 of them at 25%.
    ROLLOUT_SHADOW_DURATION_MS: '1000', ROLLOUT_ANALYSIS_INTERVAL_MS: '1000', ROLLOUT_POLL_INTERVAL_MS: '100', ROLLOUT_STEPS: '0.25,0.5',
    ROLLOUT_MIN_SAMPLES: '75', ROLLOUT_MIN_LABELED_SAMPLES: '75', ROLLOUT_MAX_STEP_EXTENSIONS: '5',
    ROLLOUT_MAX_LATENCY_MARGIN_MS: '50',
    // A retrain exists because the champion went wrong: answering like it (agreement) or scoring like it (prediction PSI
    // against its scores) is no measure of the candidate here. Online accuracy, errors and latency judge it.
    ROLLOUT_MIN_AGREEMENT: '0', ROLLOUT_MAX_PREDICTION_PSI: '100',
    GATEWAY_PLAN_REFRESH_MS: '500',
    ...base,
  };
}
