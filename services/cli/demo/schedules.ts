import { createClickHouse, migrate, type Logger } from '../../common/index.js';
import { backtestTrainer, DAY_MS, releaseSettings, scheduleArms, WEEK_MS } from '../backtest/defaults.js';
import { elec2Records } from '../backtest/history.js';
import { runBacktest } from '../backtest/run.js';
import type { Elec2Row } from './elec2.js';
import { LABEL_DELAY_MS } from './history.js';
import type { DemoPlan } from './settings.js';

/** What retraining on a timer would have scored on the records the demo replayed. */
export interface ScheduleComparison {
  /** Records each arm answered: the replayed ones, from the replay's first to its last. */
  records: number;
  arms: { name: string; accuracy: number; retrains: number }[];
  seconds: number;
}

/** The schedules the demo compares its loop with: every week and every 4 weeks on the trailing 4 weeks, and never. */
const SCHEDULE_WEEKS = [1, 4];
const SCHEDULE_WINDOW_MS = 4 * WEEK_MS;

/**
 * Runs `driftloop backtest`'s schedule arms on the very records the demo
 * replayed: the same first champion (the trainer on the history the demo's
 * v1 learned from), the same trainer for every retrain (the demo's
 * TRAINER_SPEC is the backtest's), labels known half an hour after their
 * record. In a database of its own beside the services' (chDB holds one
 * data directory per process), so their tables stay the loop's.
 */
export async function compareWithSchedules(input: {
  clickhouseUrl: string; workDir: string; elec2: readonly Elec2Row[]; plan: DemoPlan; replayedTo: number; env: NodeJS.ProcessEnv; logger: Logger;
}): Promise<ScheduleComparison> {
  const { plan } = input;
  const records = elec2Records(input.elec2.slice(plan.history.from, input.replayedTo));
  const startIndex = plan.replay.from - plan.history.from;
  const clickhouse = await createClickHouse({ url: input.clickhouseUrl, database: 'demo_backtest', logger: input.logger });
  try {
    await migrate(clickhouse, { logger: input.logger });
    const result = await runBacktest({ clickhouse, logger: input.logger, modelPrefix: 'demo' }, {
      records, startIndex, initialRecords: startIndex, labelDelayMs: LABEL_DELAY_MS,
      arms: [{ kind: 'never', name: 'never' }, ...scheduleArms(SCHEDULE_WINDOW_MS, SCHEDULE_WEEKS)],
      trainer: backtestTrainer(), ...releaseSettings(input.env),
      latenessMs: DAY_MS, servedMs: DAY_MS, changePoints: [], workDir: input.workDir,
    });
    return {
      records: result.replayed,
      arms: result.arms.map((a) => ({ name: a.name, accuracy: a.accuracy, retrains: a.retrains.promoted })),
      seconds: result.wallSeconds,
    };
  } finally {
    await clickhouse.close();
  }
}
