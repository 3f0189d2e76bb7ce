import { cell, fixed, REPORT_STYLE, table } from '../demo/html.js';
import { escapeXml, evenTicks, lineChart, PALETTE, type Series } from '../demo/plots.js';
import { onFrontier } from './report-text.js';
import type { BacktestResult } from './run.js';
import type { ArmResult } from './types.js';

const date = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const color = (i: number): string => PALETTE[i % PALETTE.length]!;

/** Accuracy per period, each arm a line. */
function overTimeChart(result: BacktestResult): string {
  const series: Series[] = result.arms.map((a, i) => ({ name: a.name, color: color(i), points: a.overTime.map(([t, acc]) => [t, acc] as const), dashed: a.kind === 'schedule' }));
  const values = result.arms.flatMap((a) => a.overTime.map(([, acc]) => acc));
  const min = Math.max(0, Math.floor(Math.min(...values) * 10) / 10);
  return lineChart({
    title: 'Prequential accuracy per week',
    series,
    x: { min: result.from, max: result.to, ticks: evenTicks(result.from, result.to, 6, date), label: 'event time' },
    y: { min, max: 1, ticks: evenTicks(min, 1, 5, (v) => v.toFixed(2)), label: 'accuracy' },
    height: 320,
  });
}

/** Accuracy against promotions: the schedules (and never) as a curve, each policy as a point. */
function frontierChart(result: BacktestResult): string {
  const baselines = result.arms.filter((a) => a.kind !== 'policy').sort((a, b) => a.retrains.promoted - b.retrains.promoted);
  const policies = result.arms.filter((a) => a.kind === 'policy');
  const all = [...baselines, ...policies];
  const maxX = Math.max(1, ...all.map((a) => a.retrains.promoted));
  const accs = all.map((a) => a.accuracy);
  const lo = Math.floor(Math.min(...accs) * 100) / 100 - 0.01;
  const hi = Math.ceil(Math.max(...accs) * 100) / 100 + 0.01;
  const series: Series[] = [
    { name: 'schedules (and never)', color: '#555', points: baselines.map((a) => [a.retrains.promoted, a.accuracy] as const) },
    ...policies.map((a, i) => ({ name: a.name, color: color(i + 2), points: [[a.retrains.promoted, a.accuracy] as const] })),
  ];
  return lineChart({
    title: 'Accuracy against retrains deployed',
    series,
    x: { min: 0, max: maxX, ticks: evenTicks(0, maxX, 5, (v) => v.toFixed(0)), label: 'retrains deployed' },
    y: { min: lo, max: hi, ticks: evenTicks(lo, hi, 5, (v) => v.toFixed(3)), label: 'prequential accuracy' },
    height: 320,
  });
}

function retrainTable(a: ArmResult): string {
  const rows = a.history.map((h) => [cell(date(h.at), 'nowrap'), cell(h.cause), cell(h.outcome, h.outcome === 'promoted' ? 'good' : 'bad'), cell(h.promotedAt === null ? '–' : date(h.promotedAt), 'nowrap'), cell(String(h.trainedRows), 'num'), cell(h.detail.slice(0, 300))]);
  return `<h3>${escapeXml(a.name)}</h3>${rows.length ? table(['requested', 'cause', 'outcome', 'promoted', 'trained rows', 'detail'], rows) : '<p>No retrain.</p>'}`;
}

/** The backtest as one self-contained HTML file (inline CSS and SVG, no script). */
export function renderBacktestReport(result: BacktestResult, history: string): string {
  const summary = result.arms.map((a) => {
    const frontier = onFrontier(a, result.arms);
    return [
      cell(a.name), cell(a.kind), cell(fixed(a.accuracy, 4), 'num'), cell(fixed(a.logLoss, 4), 'num'), cell(fixed(a.auc, 4), 'num'),
      cell(String(a.retrains.requested), 'num'), cell(String(a.retrains.promoted), 'num'), cell(String(a.retrains.rejected), 'num'), cell(String(a.retrains.rolledBack), 'num'),
      cell(a.trainingCpuSeconds.toFixed(1), 'num'), cell(frontier === undefined ? '' : frontier ? 'on or above' : 'below', frontier === false ? 'bad' : frontier ? 'good' : ''),
    ];
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>driftloop backtest: ${escapeXml(history)}</title><style>${REPORT_STYLE}</style></head>
<body>
<h1>driftloop backtest: ${escapeXml(history)}</h1>
<p class="lead">${escapeXml(`${result.replayed.toLocaleString('en-US')} records replayed in event time (${date(result.from)} .. ${date(result.to)}); the first champion of every arm trained on ${result.first.trainedRows.toLocaleString('en-US')} rows before ${date(result.first.to)}; ${result.wallSeconds.toFixed(0)} s.`)}</p>
${table(['arm', 'kind', 'accuracy', 'log loss', 'AUC', 'retrains', 'promoted', 'rejected', 'rolled back', 'training CPU s', 'frontier'], summary)}
<p>A policy is on the frontier when it is at least as accurate as every schedule (and never retraining) that deploys as many retrains or fewer.</p>
<figure>${frontierChart(result)}<figcaption>Each schedule retrains on the trailing window and deploys; each policy retrains when its rule says so, and deploys only what passes the evaluator's gates and the canary's analysis.</figcaption></figure>
<figure>${overTimeChart(result)}<figcaption>Share of right answers per week of event time; every answer is given before its label is known.</figcaption></figure>
<h2>Retrains</h2>
${result.arms.filter((a) => a.kind === 'policy').map(retrainTable).join('\n')}
</body></html>
`;
}
