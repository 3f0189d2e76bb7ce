import { barChart, escapeXml, evenTicks, lineChart, logTicks, PALETTE, type Series, type VerticalMarker } from './plots.js';
import { cell, fixed, REPORT_STYLE, table } from './html.js';
import { DEMO_POLICY, VICTORIA_JOINS_INDEX } from './settings.js';
import { elec2Date, streamPlace } from './status.js';
import { percent } from './story.js';
import { windowLength, type DemoSummary } from './summary.js';

/** Grey: what was not served. */
const COUNTERFACTUAL_COLOR = '#999';

/** Vertical lines where the loop acted, plus the day Victoria's data joins Elec2. */
function markersOf(s: DemoSummary): VerticalMarker[] {
  const colors: Record<string, string> = { 'retrain requested': '#d62728', registered: '#9467bd', promoted: '#2ca02c', 'rolled back': '#b00020', rejected: '#b00020', failed: '#b00020' };
  return [
    { x: VICTORIA_JOINS_INDEX, label: 'Victoria joins (May 1997)', color: '#555' },
    ...s.markers.map((m) => ({ x: m.index, label: m.label, color: colors[m.label] ?? '#555' })),
  ];
}

function xAxis(s: DemoSummary): { min: number; max: number; ticks: ReturnType<typeof evenTicks>; label: string } {
  const min = s.replay.from;
  const max = Math.max(s.replay.to, min + 1);
  return { min, max, ticks: evenTicks(min, max, 6, elec2Date), label: 'Elec2 record replayed (date of the half hour)' };
}

function driftChart(s: DemoSummary): string {
  // By name: a feature keeps its colour from one run to the next.
  const features = [...new Set(s.windows.flatMap((w) => w.features.map((f) => f.feature)))].sort();
  const series: Series[] = features.map((feature, i) => ({
    name: feature,
    color: PALETTE[i % PALETTE.length]!,
    points: s.windows.flatMap((w) => {
      const psi = w.features.find((f) => f.feature === feature)?.psi;
      return psi === null || psi === undefined ? [] : [[w.to, psi] as const];
    }),
  }));
  const max = Math.max(10, ...series.flatMap((x) => x.points.map(([, y]) => y)));
  const yMax = 10 ** Math.ceil(Math.log10(max));
  return lineChart({
    title: `PSI per feature per ${windowLength(s.plan.windowMs)} window of Elec2's time, against the champion's reference (log scale)`,
    series, x: xAxis(s), y: { min: 0.001, max: yMax, log: true, ticks: logTicks(0.001, yMax), label: 'PSI' },
    markers: markersOf(s), threshold: { y: 0.2, label: 'PSI 0.2' },
  });
}

/** The loop's retrains and served accuracy beside the backtest's schedules on the same records. */
function schedulesSection(s: DemoSummary): string {
  const t = s.retrains;
  const lead = `<p>${escapeXml(`Policy "${DEMO_POLICY}" (in Elec2's time) requested ${t.requested} retrains: ${t.promoted} promoted, ${t.rejected} rejected by the evaluator's gates, ${t.rolledBack} rolled back by the canary, ${t.failed} failed.`)}</p>`;
  const v = s.versusSchedules;
  if (!v) return `${lead}<p>No schedule was backtested.</p>`;
  const rows = [
    [cell('the loop (served)'), cell(fixed(v.served), 'num'), cell(String(t.promoted), 'num'), cell(v.records.toLocaleString('en-US'), 'num')],
    ...v.schedules.arms.map((a) => [cell(a.name), cell(fixed(a.accuracy), 'num'), cell(String(a.retrains), 'num'), cell(v.schedules.records.toLocaleString('en-US'), 'num')]),
  ];
  return `${lead}${table(['retraining', 'accuracy', 'retrains deployed', 'records'], rows)}<p>The schedules are <code>driftloop backtest</code> arms on the records the demo replayed: the same first champion, the same trainer, each retrain on the trailing 4 weeks and deployed without gates.</p>`;
}

function accuracyChart(s: DemoSummary): string {
  const series: Series[] = [
    { name: 'all answers (500)', color: '#222', points: s.rolling.map((p) => [p.index, p.accuracy] as const) },
    ...s.rollingByVersion.map((v, i) => ({ name: `v${v.version} answers (200)`, color: PALETTE[(i + 1) % PALETTE.length]!, dashed: true, points: v.points.map((p) => [p.index, p.accuracy] as const) })),
    ...(s.rollingCounterfactual ? [{ name: `${s.rollingCounterfactual.name} (200)`, color: COUNTERFACTUAL_COLOR, dashed: true, points: s.rollingCounterfactual.points.map((p) => [p.index, p.accuracy] as const) }] : []),
  ];
  const started = s.rollout[0];
  const bands = started && s.outcome ? [{ from: started.index, to: s.markers.at(-1)?.index ?? started.index, label: 'rollout: shadow and canary', color: '#9467bd' }] : [];
  return lineChart({
    title: 'Prequential accuracy of the served answers (rolling, vs labels that arrive after each answer)',
    series, x: xAxis(s), y: { min: 0, max: 1, ticks: [0, 0.25, 0.5, 0.75, 1].map((v) => ({ value: v, label: v.toFixed(2) })), label: 'accuracy' },
    markers: markersOf(s), bands,
  });
}

function evaluationSection(s: DemoSummary): string {
  const e = s.evaluation;
  if (!e) return '<p>No evaluation of an automatic retrain happened.</p>';
  const champion = `champion v${e.champion_version ?? '–'}`;
  const candidate = `candidate${s.outcome?.version ? ` v${s.outcome.version}` : ''}`;
  const chart = barChart({
    title: `Holdout metrics: ${candidate} vs ${champion}`,
    max: 1,
    groups: ['accuracy', 'auc'].map((m) => ({ label: m, bars: [{ name: champion, value: e.champion_metrics[m] ?? Number.NaN, color: '#7f7f7f' }, { name: candidate, value: e.candidate_metrics[m] ?? Number.NaN, color: '#2ca02c' }] })),
  });
  const ci = s.evaluationDetail;
  const interval = (side: 'candidateCi' | 'championCi', m: string): string => {
    const i = ci?.[side][m];
    return i ? ` [${fixed(i.low)}, ${fixed(i.high)}]` : '';
  };
  const metrics = ['accuracy', 'auc', 'log_loss'].map((m) => [cell(m), cell(`${fixed(e.champion_metrics[m])}${interval('championCi', m)}`, 'num'), cell(`${fixed(e.candidate_metrics[m])}${interval('candidateCi', m)}`, 'num')]);
  const gates = e.gates.map((g) => [cell(g.name), cell(g.passed ? 'passed' : 'FAILED', g.passed ? 'good' : 'bad'), cell(fixed(g.value, 4), 'num'), cell(fixed(g.threshold, 4), 'num'), cell(g.detail)]);
  return `<figure>${chart}<figcaption>Decision: <b>${escapeXml(e.decision)}</b>${ci ? `, on ${escapeXml(ci.holdout)}` : ''}. ${escapeXml(e.reason)}</figcaption></figure>
${table(['metric', champion, candidate], metrics)}
${table(['gate', 'result', 'value', 'threshold', 'detail'], gates)}`;
}

/**
 * The demo's report: one self-contained HTML file (inline CSS and SVG, no
 * script, no external resource) with the drift statistics, the prequential
 * accuracy with the loop's actions marked, the evaluation, the rollout and
 * every window.
 */
export function renderReport(s: DemoSummary): string {
  const rollout = s.rollout.map((r) => [cell(streamPlace(r.index), 'nowrap'), cell(r.phase), cell(r.phase === 'canary' ? percent(r.weight) : '–'), cell(r.state, r.state === 'rolled_back' ? 'bad' : r.state === 'promoted' ? 'good' : ''), cell(r.checks)]);
  const features = [...new Set(s.windows.flatMap((w) => w.features.map((f) => f.feature)))];
  const windows = s.windows.map((w) => [
    cell(String(w.number), 'num'), cell(`${elec2Date(w.from)} .. ${elec2Date(w.to)}`, 'nowrap'), cell(String(w.rows), 'num'),
    ...features.map((name) => {
      const f = w.features.find((x) => x.feature === name);
      return f ? cell(`${fixed(f.psi, 2)}${f.drifted ? ' *' : ''}`, `num${f.drifted ? ' bad' : ''}`) : cell('–');
    }),
    cell(w.decision, w.decision === 'none' ? '' : 'bad'), cell(w.runId ?? ''),
  ]);
  const accuracy = s.accuracy.map((a) => [
    cell(a.label), cell(fixed(a.accuracy), 'num'), cell(a.count.toLocaleString('en-US'), 'num'),
    cell(a.counterfactual ? `v${a.counterfactual.version}: ${fixed(a.counterfactual.accuracy)}` : '–', 'num'),
  ]);
  const letters = s.deadLetters.map((l) => [cell(l.origin), cell(l.code), cell(l.error.slice(0, 120)), cell(String(l.bytes), 'num')]);
  const outcome = s.outcome ? `${s.outcome.kind}${s.outcome.version ? ` (v${s.outcome.version})` : ''}` : 'the loop did not finish';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>driftloop demo report</title><style>${REPORT_STYLE}</style></head>
<body>
<h1>driftloop demo: the whole loop on Elec2</h1>
<p class="lead">${escapeXml(`${s.mode} mode, ${s.seconds.toFixed(0)} s, ${new Date(s.finishedAt).toISOString()}. Outcome: ${outcome}; final champion v${s.finalChampion ?? '–'}.`)}</p>
<pre>${escapeXml(s.text)}</pre>
<h2>Drift</h2>
<figure>${driftChart(s)}<figcaption>Each point is one window of ${windowLength(s.plan.windowMs)} of the feature events the gateway emitted, in Elec2's own time (the demo stamps each request with its records' time), compared by the drift monitor (one ClickHouse query) with the reference of the champion of the time, which the monitor builds by itself from the data that champion was trained on: v1's from the history, a promoted version's from the recent traffic it was trained on. The Victorian columns are constant in Elec2 before May 1997, so their PSI jumps when real values arrive. Windows after a promotion are compared with the new champion's reference; the window that spans the promotion ends at it.</figcaption></figure>
<h2>Prequential accuracy</h2>
<figure>${accuracyChart(s)}<figcaption>Every replayed record is first answered by the gateway (champion or canary), then its label is produced to Kafka; the line is the share of right answers among the last 500 (per version, dashed: the last 200 answers of that version). The shaded band is the rollout.${s.rollingCounterfactual ? ` Grey, dashed: ${escapeXml(s.rollingCounterfactual.name)}, its registered artifact scored offline on the very records answered after the loop ended (the last 200), since Elec2's seasons make earlier periods no yardstick.` : ''}</figcaption></figure>
${table(['answers', 'accuracy', 'records', 'the other version on the same records (scored offline)'], accuracy)}
<h2>Retraining: the policy versus a schedule</h2>
${schedulesSection(s)}
<h2>Evaluation: champion vs candidate</h2>
${evaluationSection(s)}
<h2>Rollout</h2>
${s.rollout.length ? table(['at', 'phase', 'weight', 'event', 'checks'], rollout) : '<p>No rollout of a retrained version.</p>'}
<h2>Windows</h2>
<p>PSI per feature; * marks a feature the policy's decisive test (KS or chi-square for windows this small) found drifted.</p>
${table(['#', 'Elec2 dates', 'events', ...features, 'decision', 'run'], windows)}
<h2>Dead letters</h2>
${letters.length ? table(['origin', 'code', 'error', 'bytes'], letters) : '<p>None read back.</p>'}
</body></html>
`;
}
