import { describe, expect, it } from 'vitest';
import { formatBacktest, onFrontier } from '../../../services/cli/backtest/report-text.js';
import { renderBacktestReport } from '../../../services/cli/backtest/report-html.js';
import type { BacktestResult } from '../../../services/cli/backtest/run.js';
import type { ArmResult } from '../../../services/cli/backtest/types.js';

const DAY = 86_400_000;

function arm(name: string, kind: ArmResult['kind'], accuracy: number, promoted: number): ArmResult {
  return {
    name, kind, records: 1000, accuracy, logLoss: 0.5, auc: 0.8, overTime: [[0, accuracy, 500], [7 * DAY, accuracy, 500]],
    retrains: { requested: promoted + 1, promoted, rejected: 1, rolledBack: 0, failed: 0 },
    history: [{ at: DAY, cause: 'performance', outcome: 'rejected', promotedAt: null, detail: 'rejected: holdout_rows: 10 <b>rows</b>', trainedRows: 500, cpuSeconds: 0.1 }],
    windows: 10, decisions: [], trainingCpuSeconds: 0.1, changeDelaysMs: [2 * DAY], wallSeconds: 1, windowSeconds: 0.5, retrainSeconds: 0.2, referenceSeconds: 0.1, servingSeconds: 0.1,
  };
}

const schedules = [arm('never', 'never', 0.7, 0), arm('every 4 weeks', 'schedule', 0.75, 20), arm('every 1 week', 'schedule', 0.77, 80)];

describe('backtest report', () => {
  it('puts a policy on the frontier when no schedule deploying as many retrains or fewer is more accurate', () => {
    expect(onFrontier(arm('p', 'policy', 0.76, 30), schedules)).toBe(true);
    expect(onFrontier(arm('p', 'policy', 0.74, 30), schedules)).toBe(false);
    // Fewer deployments than the 4-week schedule: only never retraining is the bar.
    expect(onFrontier(arm('p', 'policy', 0.71, 10), schedules)).toBe(true);
    expect(onFrontier(schedules[1]!, schedules)).toBeUndefined();
  });

  it('tabulates every arm with its retrains and frontier verdict, and escapes what the HTML quotes', () => {
    const result: BacktestResult = { records: 2000, replayed: 1000, from: 0, to: 14 * DAY, first: { trainedRows: 700, from: -DAY, to: 0 }, arms: [...schedules, arm('accuracy drop', 'policy', 0.76, 30)], wallSeconds: 3 };
    const text = formatBacktest(result);
    expect(text).toMatch(/^accuracy drop\s+76\.00%\s+0\.5000\s+0\.8000\s+31\s+30\s+1\s+0\s+0\.1 s\s+on$/m);
    expect(text).toMatch(/accuracy drop: 50 ms per window; 6 ms per retrain; change points answered after 2\.0 d/);
    const html = renderBacktestReport(result, 'elec2');
    expect(html).toContain('<svg');
    expect(html).toContain('&lt;b&gt;rows&lt;/b&gt;');
    expect(html).not.toContain('<b>rows</b>');
  });
});
