import { describe, expect, it } from 'vitest';
import { barChart, escapeXml, lineChart, logTicks } from '../../../services/cli/demo/plots.js';
import { accuracyOf, rollingAccuracy } from '../../../services/cli/demo/prequential.js';
import { loopOutcome, retrainTally, runInTraining } from '../../../services/cli/demo/outcome.js';
import type { Answer } from '../../../services/cli/demo/replay.js';
import { renderReport } from '../../../services/cli/demo/report.js';
import { demoPlan } from '../../../services/cli/demo/settings.js';
import { windowLength, type DemoSummary } from '../../../services/cli/demo/summary.js';
import type { LoopEvents } from '../../../services/cli/demo/timeline.js';
import { svgElements, xmlProblem } from '../../support/xml.js';

function answers(n: number, correctUntil: number): Answer[] {
  return Array.from({ length: n }, (_, i) => ({ index: 16_080 + i, at: 1_000 + i, variant: 'champion', version: i < 2_000 ? '1' : '2', correct: i < correctUntil ? i % 5 !== 0 : i % 2 === 0 }));
}

function summary(): DemoSummary {
  const features = (psi: number, drifted: boolean) => ['nswprice', 'vicprice'].map((feature) => ({ feature, kind: 'numeric' as const, psi, test: 'ks', value: 0.3, pValue: drifted ? 1e-9 : 0.4, drifted }));
  const all = answers(3_000, 1_000);
  return {
    mode: 'fast', plan: demoPlan('fast', 45_312), seconds: 61.2, finishedAt: Date.UTC(2026, 0, 1),
    replay: { from: 16_080, to: 19_080, answered: 3_000, failures: 0, lastError: '' },
    windows: [1, 2, 3].map((number) => ({ number, from: 16_080 + (number - 1) * 672, to: 16_080 + number * 672, rows: 672, decision: number < 3 ? 'none' : 'retrain', runId: number < 3 ? null : 'run-1', driftShare: number < 3 ? 0 : 1, features: features(number < 3 ? 0.01 : 15, number >= 3) })),
    firstDrift: null,
    retrain: { label: 'retrain requested', at: 2_100, index: 18_100, runId: 'run-1', cause: 'drift: <vicprice> & co', by: 'the drift monitor' },
    evaluation: {
      ts: 2_200, run_id: 'run-1', candidate_version: 'run-1', champion_version: '1', decision: 'register', reason: 'all gates passed',
      candidate_metrics: { accuracy: 0.86, auc: 0.93, log_loss: 0.33 }, champion_metrics: { accuracy: 0.19, auc: 0.2, log_loss: 28 },
      gates: [{ name: 'improvement_accuracy', passed: true, value: 0.67, threshold: 0, detail: 'candidate 0.86 vs champion 0.19' }],
    },
    evaluationDetail: { holdout: 'newer: 264 rows', candidateCi: { accuracy: { low: 0.8, high: 0.9 } }, championCi: { accuracy: { low: 0.15, high: 0.24 } } },
    markers: [{ label: 'retrain requested', at: 2_100, index: 18_100 }, { label: 'registered', at: 2_300, index: 18_300 }, { label: 'promoted', at: 2_900, index: 18_900 }],
    rollout: [{ at: 2_400, index: 18_400, version: '2', phase: 'shadow', weight: 0, state: 'started', checks: '' }, { at: 2_900, index: 18_900, version: '2', phase: 'done', weight: 1, state: 'promoted', checks: 'accuracy ok' }],
    outcome: { runId: 'run-1', kind: 'promoted', version: '2', at: 2_900, reason: 'all steps passed' },
    finalChampion: '2',
    accuracy: [{ label: 'v1 before', accuracy: 0.8, count: 1_000 }, { label: 'v2 after its promotion', accuracy: 0.5, count: 100, counterfactual: { version: '1', accuracy: 0.5 } }],
    retrains: { requested: 3, promoted: 1, rejected: 1, rolledBack: 1, failed: 0, open: 0 },
    versusSchedules: { served: 0.7, records: 3_000, schedules: { records: 3_000, seconds: 4, arms: [{ name: 'never', accuracy: 0.65, retrains: 0 }, { name: 'every 1 week', accuracy: 0.75, retrains: 6 }] } },
    rolling: rollingAccuracy(all),
    rollingByVersion: [{ version: '1', points: rollingAccuracy(all.filter((a) => a.version === '1'), 200, 24) }, { version: '2', points: rollingAccuracy(all.filter((a) => a.version === '2'), 200, 24) }],
    rollingCounterfactual: { name: 'v1 had it stayed', points: rollingAccuracy(all.filter((a) => a.version === '2').map((a) => ({ ...a, version: '1', correct: !a.correct })), 200, 24) },
    deadLetters: [{ origin: 'driftloop.features[0]@3', code: 'DL_DECODE', error: 'not Confluent Avro <or> JSON', bytes: 15 }],
    deadLettersSent: 4,
    text: 'summary with <angle> & ampersand',
  };
}

describe('demo report', () => {
  it('draws a line chart as well-formed SVG with a path per series of two points or more, a dot for one and escaped text', () => {
    const svg = lineChart({
      title: 'PSI <per> feature & window', series: [{ name: 'a"b', color: '#000', points: [[0, 0.01], [5, 3], [10, 20]] }, { name: 'flat', color: '#111', points: [[0, 0.0001]] }],
      x: { min: 0, max: 10, ticks: [{ value: 0, label: 'start' }] }, y: { min: 0.001, max: 100, log: true, ticks: logTicks(0.001, 100) },
      markers: [{ x: 4, label: 'retrain', color: '#d62728' }], threshold: { y: 0.2, label: 'PSI 0.2' }, bands: [{ from: 4, to: 8, label: 'rollout', color: '#999' }],
    });
    expect(xmlProblem(svg)).toBeNull();
    const paths = [...svg.matchAll(/<path d="([^"]*)"/g)].map((p) => p[1]!);
    expect(paths).toHaveLength(1);
    for (const d of paths) expect(d).toMatch(/^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+$/);
    // A series of one point is a dot, named like a line: a path of one point would draw nothing.
    expect(svg).toMatch(/<circle cx="[\d.]+" cy="[\d.]+" r="3" fill="#111"><title>flat<\/title><\/circle>/);
    expect(svg).toContain('PSI &lt;per&gt; feature &amp; window');
    expect(svg).not.toContain('NaN');
    expect(logTicks(0.001, 100).map((t) => t.label)).toEqual(['0.001', '0.01', '0.1', '1', '10', '100']);
  });

  it('draws bars for missing values as empty, labelled n/a', () => {
    const svg = barChart({ title: 't', max: 1, groups: [{ label: 'auc', bars: [{ name: 'champion', value: Number.NaN, color: '#777' }, { name: 'candidate', value: 0.9, color: '#2ca02c' }] }] });
    expect(xmlProblem(svg)).toBeNull();
    expect(svg).toContain('n/a');
    expect(svg).not.toContain('NaN');
  });

  it('renders a self-contained report: three well-formed SVG plots, no script, nothing fetched from elsewhere', () => {
    const html = renderReport(summary());
    const svgs = svgElements(html);
    expect(svgs).toHaveLength(3);
    for (const svg of svgs) expect(xmlProblem(svg)).toBeNull();
    expect(svgs[0]).toContain('PSI per feature');
    expect(svgs[1]).toContain('Prequential accuracy');
    expect(svgs[2]).toContain('Holdout metrics');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
    expect(html).not.toContain('NaN');
    expect(html).toContain('summary with &lt;angle&gt; &amp; ampersand');
    expect(html).toContain('<td>every 1 week</td><td class="num">0.750</td><td class="num">6</td>');
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('demo accuracy and outcome', () => {
  it('rolls accuracy over the last answers in stream order', () => {
    const points = rollingAccuracy(answers(1_000, 500), 100, 100);
    expect(points).toHaveLength(10);
    expect(points[0]).toEqual({ index: 16_179, accuracy: 0.8 });
    expect(points.at(-1)).toEqual({ index: 17_079, accuracy: 0.5 });
    expect(accuracyOf(answers(10, 10), (a) => a.index < 16_085)).toEqual({ accuracy: 0.8, count: 5 });
  });

  it('ends the loop at the drift run’s promotion, rollback, rejection or failure, not at the first model’s', () => {
    const events: LoopEvents = { 'drift-reports': [], 'retrain-requests': [], 'training-results': [], evaluations: [], 'registry-events': [], 'rollout-events': [] };
    const rollout = (run: string, version: string, state: string, ts: number) => ({ ts, run_id: run, version, champion_version: null, phase: 'done', step: 0, weight: 1, state, reason: state, checks: [] });
    events['retrain-requests'].push({ ts: 1, run_id: 'first', cause: { kind: 'manual', ref: 'demo', detail: '' }, requested_by: 'demo' });
    events['rollout-events'].push(rollout('first', '1', 'promoted', 2));
    expect(loopOutcome(events)).toBeNull();
    events['retrain-requests'].push({ ts: 3, run_id: 'auto', cause: { kind: 'drift', ref: 'drift-x', detail: '' }, requested_by: 'drift' });
    events['registry-events'].push({ ts: 4, run_id: 'auto', version: '2', action: 'registered', alias: null, previous_version: null, reason: '' });
    expect(loopOutcome(events)).toBeNull();
    events['rollout-events'].push(rollout('auto', '2', 'rolled_back', 5));
    expect(loopOutcome(events)).toMatchObject({ runId: 'auto', kind: 'rolled_back', version: '2', at: 5 });
  });

  it('counts every automatic retrain by how it ended, an outcome after the replay as still going, and knows the run being trained', () => {
    const events: LoopEvents = { 'drift-reports': [], 'retrain-requests': [], 'training-results': [], evaluations: [], 'registry-events': [], 'rollout-events': [] };
    const request = (run: string, kind = 'performance') => events['retrain-requests'].push({ ts: 1, run_id: run, cause: { kind, ref: run, detail: '' }, requested_by: 'drift' });
    const rollout = (run: string, state: string, ts: number) => events['rollout-events'].push({ ts, run_id: run, version: run, champion_version: '1', phase: 'done', step: 0, weight: 0, state, reason: state, checks: [] });
    request('first', 'manual');
    request('a');
    expect(runInTraining(events)).toBe('a');
    rollout('a', 'started', 2);
    expect(runInTraining(events)).toBeNull();
    rollout('a', 'promoted', 3);
    request('b');
    events.evaluations.push({ ts: 4, run_id: 'b', candidate_version: '', champion_version: '2', decision: 'reject', reason: 'worse', candidate_metrics: {}, champion_metrics: {}, gates: [] });
    request('c');
    events['training-results'].push({ ts: 5, run_id: 'c', state: 'failed', trials: 0, metrics: {}, message: 'no rows' });
    request('d');
    rollout('d', 'rolled_back', 9);
    request('e');
    expect(runInTraining(events)).toBe('e');
    expect(retrainTally(events)).toEqual({ requested: 5, promoted: 1, rejected: 1, rolledBack: 1, failed: 1, open: 1 });
    // The replay ended at 8: d's rollback came when no traffic was left to judge.
    expect(retrainTally(events, 8)).toEqual({ requested: 5, promoted: 1, rejected: 1, rolledBack: 0, failed: 1, open: 2 });
  });

  it('names a window length in weeks, days or hours', () => {
    expect(windowLength(604_800_000)).toBe('1 week');
    expect(windowLength(2 * 604_800_000)).toBe('2 weeks');
    expect(windowLength(86_400_000)).toBe('1 day');
    expect(windowLength(36 * 3_600_000)).toBe('36 hours');
  });
});
