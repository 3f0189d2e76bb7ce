import type { ClickHouse, Logger } from '../../common/index.js';
import { runArm } from './arm.js';
import { trainCandidate } from './retrain.js';
import { copyFeatures, storeFeatures, storeLabels } from './tables.js';
import type { ArmResult, BacktestOptions } from './types.js';

export interface BacktestResult {
  records: number;
  replayed: number;
  from: number;
  to: number;
  /** The first champion, shared by every arm. */
  first: { trainedRows: number; from: number; to: number };
  arms: ArmResult[];
  wallSeconds: number;
}

export interface BacktestDeps {
  clickhouse: ClickHouse;
  logger: Logger;
  /** Model names are `<prefix>` (the history) and `<prefix>-<arm index>`; every snapshot splits by the prefix, so a fixed prefix replays identically and all arms split alike. @default 'backtest' */
  modelPrefix?: string;
  /** Progress: the arm running, and the share of its records served. */
  onProgress?(arm: string, index: number, share: number): void;
}

/**
 * Replays a labeled history through every arm, one after the other, all
 * from the same first champion, in one ClickHouse: the history is stored
 * once and copied under each arm's model name, so arms never see each
 * other's answers or windows.
 */
export async function runBacktest(deps: BacktestDeps, options: BacktestOptions): Promise<BacktestResult> {
  const started = performance.now();
  const { records, startIndex, initialRecords } = options;
  if (startIndex < initialRecords || startIndex >= records.length) throw new RangeError(`start index ${startIndex} must leave ${initialRecords} records before it and some after it (history of ${records.length})`);
  const base = deps.modelPrefix ?? 'backtest';
  await storeFeatures(deps.clickhouse, base, records);
  const from = records[startIndex - initialRecords]!.ts;
  const to = records[startIndex]!.ts;
  // The first champion's labels: those known when the replay starts.
  await storeLabels(deps.clickhouse, base, records.slice(0, startIndex).filter((r) => r.ts + options.labelDelayMs < to), options.labelDelayMs);
  const first = await trainCandidate(deps.clickhouse, options.workDir, { model: base, splitKey: base }, options.trainer, { kind: 'range', from, to }, 'first');
  const arms: ArmResult[] = [];
  for (const [index, arm] of options.arms.entries()) {
    const model = `${base}-${index}`;
    await copyFeatures(deps.clickhouse, base, model);
    deps.onProgress?.(arm.name, index, 0);
    arms.push(await runArm({
      clickhouse: deps.clickhouse, logger: deps.logger, options, model, splitKey: base, first: { artifact: first.artifact, from, to, importance: first.importance, testAccuracy: first.testAccuracy },
      onProgress: (share) => deps.onProgress?.(arm.name, index, share),
    }, arm));
  }
  return {
    records: records.length, replayed: records.length - startIndex, from: to, to: records[records.length - 1]!.ts,
    first: { trainedRows: first.trainedRows, from, to }, arms, wallSeconds: (performance.now() - started) / 1000,
  };
}
