import type { BacktestResult } from './run.js';
import type { ArmResult } from './types.js';

const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : 'n/a');
const num = (x: number, digits = 4): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const days = (ms: number | null): string => (ms === null ? 'none' : `${(ms / 86_400_000).toFixed(1)} d`);

/**
 * Whether an arm is on or above the schedules' frontier: at least as
 * accurate as every schedule (and never retraining) that retrains as often
 * or less. Undefined for the schedules themselves.
 */
export function onFrontier(arm: ArmResult, all: readonly ArmResult[]): boolean | undefined {
  if (arm.kind !== 'policy') return undefined;
  return all.filter((b) => b.kind !== 'policy' && b.retrains.promoted <= arm.retrains.promoted).every((b) => arm.accuracy >= b.accuracy);
}

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  return cells.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

/** The terminal table: every arm side by side, then what each policy's retrains came to. */
export function formatBacktest(result: BacktestResult): string {
  const header = ['arm', 'accuracy', 'log loss', 'AUC', 'retrains', 'promoted', 'rejected', 'rolled back', 'train CPU', 'frontier'];
  const rows = result.arms.map((a) => {
    const frontier = onFrontier(a, result.arms);
    return [a.name, pct(a.accuracy), num(a.logLoss), num(a.auc), String(a.retrains.requested), String(a.retrains.promoted), String(a.retrains.rejected), String(a.retrains.rolledBack), `${a.trainingCpuSeconds.toFixed(1)} s`, frontier === undefined ? '' : frontier ? 'on' : 'below'];
  });
  const lines = [
    `backtest of ${result.replayed.toLocaleString('en-US')} records (${new Date(result.from).toISOString().slice(0, 10)} .. ${new Date(result.to).toISOString().slice(0, 10)}), first champion trained on ${result.first.trainedRows.toLocaleString('en-US')} rows; ${result.wallSeconds.toFixed(1)} s`,
    '',
    pad([header, ...rows]),
  ];
  for (const a of result.arms) {
    const perWindow = a.windows > 0 ? `${((a.windowSeconds / a.windows) * 1000).toFixed(0)} ms per window` : '';
    const perRetrain = a.retrains.requested > 0 ? `${((a.retrainSeconds / a.retrains.requested) * 1000).toFixed(0)} ms per retrain` : '';
    const delays = a.changeDelaysMs.length > 0 ? `change points answered after ${a.changeDelaysMs.map(days).join(', ')}` : '';
    const parts = [perWindow, perRetrain, delays].filter(Boolean);
    if (parts.length > 0) lines.push(`${a.name}: ${parts.join('; ')}`);
  }
  return `${lines.join('\n')}\n`;
}
