import { describe, expect, it } from 'vitest';
import { counterfactualVersions, scoreCounterfactual, servedAgreement, type Counterfactual } from '../../../services/cli/demo/counterfactual.js';
import type { Elec2Row } from '../../../services/cli/demo/elec2.js';
import type { Answer, Replay } from '../../../services/cli/demo/replay.js';
import { demoPlan } from '../../../services/cli/demo/settings.js';
import { summarize } from '../../../services/cli/demo/summary.js';
import type { LoopEvents } from '../../../services/cli/demo/timeline.js';
import type { Scorer, VersionRecord } from '../../../services/gateway/index.js';

const FIRST = 17_000;

/** The loop's events: v1 champion, a drift run registering v2, its rollout ending `ended` at ts 300. */
function loopEvents(ended: 'promoted' | 'rolled_back'): LoopEvents {
  const rollout = (state: string, ts: number) => ({ ts, run_id: 'auto', version: '2', champion_version: '1', phase: 'canary', step: 1, weight: 0.5, state, reason: state, checks: [] });
  return {
    'drift-reports': [],
    'retrain-requests': [{ ts: 100, run_id: 'auto', cause: { kind: 'drift', ref: 'drift-x', detail: '' }, requested_by: 'drift' }],
    'training-results': [],
    evaluations: [],
    'registry-events': [
      { ts: 1, run_id: 'first', version: '1', action: 'alias_set', alias: 'champion', previous_version: null, reason: '' },
      { ts: 150, run_id: 'auto', version: '2', action: 'registered', alias: null, previous_version: null, reason: '' },
    ],
    'rollout-events': [rollout('started', 200), rollout(ended, 300)],
  };
}

/** 600 answers from index FIRST+1000 on, one per ms from ts 0: v1 until 200, v1 and canary v2 until 300, then `after`. */
function servedAnswers(after: string): Answer[] {
  return Array.from({ length: 600 }, (_, i): Answer => {
    const at = i;
    const canary = at >= 200 && at < 300 && i % 2 === 0;
    const version = at >= 300 ? after : canary ? '2' : '1';
    return { index: FIRST + 1_000 + i, at, variant: canary ? 'canary' : 'champion', version, correct: i % 4 !== 0 };
  });
}

function replayOf(answers: Answer[]): Replay {
  return { answers, answered: answers.length, position: answers.at(-1)!.index + 1, failures: 0, lastError: '', positionAt: (ms) => FIRST + 1_000 + Math.round(ms), finished: Promise.resolve() };
}

/** A version right exactly on the records `right` picks. */
function counterfactual(version: string, answers: Answer[], right: (a: Answer) => boolean): Counterfactual {
  return { version, correct: new Map(answers.map((a) => [a.index, right(a)])) };
}

const input = (events: LoopEvents, answers: Answer[], counterfactuals: Counterfactual[]) => ({
  events, replay: replayOf(answers), plan: demoPlan('fast', 45_312), letters: [], badMessages: 0, startedAt: Date.now(), evaluationDetail: null, counterfactuals,
});

describe('demo counterfactuals', () => {
  it('compares the promoted version with the old champion on exactly the records it answered, as canary and after', () => {
    const answers = servedAnswers('2');
    const v1 = counterfactual('1', answers, (a) => a.index % 2 === 0);
    const s = summarize(input(loopEvents('promoted'), answers, [v1]));
    const canary = s.accuracy.find((f) => f.label === 'v2 as canary')!;
    expect(canary).toMatchObject({ count: 50, counterfactual: { version: '1', accuracy: 1 } });
    const after = s.accuracy.find((f) => f.label === 'v2 after its promotion')!;
    expect(after).toMatchObject({ accuracy: 0.75, count: 300, counterfactual: { version: '1', accuracy: 0.5 } });
    expect(s.accuracy.find((f) => f.label.startsWith('v1 after'))).not.toHaveProperty('counterfactual');
    expect(s.text).toMatch(/^ {2}v2 after its promotion: 0\.750 on 300 records \(v1 on the same records: 0\.500\)$/m);
    expect(s.rollingCounterfactual?.name).toBe('v1 had it stayed');
    expect(s.rollingCounterfactual?.points.at(-1)).toEqual({ index: FIRST + 1_587, accuracy: 0.5 });
  });

  it('after a rollback, compares the champion with the candidate it turned down on the records answered since', () => {
    const answers = servedAnswers('1');
    const s = summarize(input(loopEvents('rolled_back'), answers, [counterfactual('1', answers, () => false), counterfactual('2', answers, () => true)]));
    expect(s.accuracy.map((f) => f.label)).toEqual(['v1 after, until the retrain is rolled back', 'v2 as canary', 'v1 after the rollback']);
    expect(s.accuracy.at(-1)).toMatchObject({ count: 300, counterfactual: { version: '2', accuracy: 1 } });
    expect(s.accuracy[1]).toMatchObject({ counterfactual: { version: '1', accuracy: 0 } });
    expect(s.rollingCounterfactual?.name).toBe('v2 had it been kept');
  });

  it('shows no comparison unless the other version was scored on every one of the records', () => {
    const answers = servedAnswers('2');
    const partial = counterfactual('1', answers.slice(0, 450), () => true);
    const s = summarize(input(loopEvents('promoted'), answers, [partial]));
    expect(s.accuracy.find((f) => f.label === 'v2 after its promotion')).not.toHaveProperty('counterfactual');
    expect(s.accuracy.find((f) => f.label === 'v2 as canary')).toHaveProperty('counterfactual');
    expect(s.rollingCounterfactual).toBeNull();
    expect(summarize(input(loopEvents('promoted'), answers, [])).text).not.toContain('on the same records');
  });

  it('scores the old champion and the candidate, from the registered version record, with the gateway loader', async () => {
    expect(counterfactualVersions(loopEvents('promoted'))).toEqual(['1', '2']);
    const rows: Elec2Row[] = [0, 1, 2].map((index) => ({
      index, ts: 0, day: '1', numeric: { period: 0, nswprice: index / 10, nswdemand: 0, vicprice: 0, vicdemand: 0, transfer: 0 }, label: index === 1 ? 'UP' : 'DOWN',
    }));
    const record: VersionRecord = { model: 'elec2', version: '1', artifactUri: '/r/model.json', artifactSha256: 'abc', artifactFormat: 'driftloop.builtin', artifacts: {} };
    const asked: string[] = [];
    let closed = false;
    const scorer = {
      format: 'driftloop.builtin', classes: ['DOWN', 'UP'], positiveClass: 'UP', preprocessing: { numeric: [], categorical: [] },
      score: async (features: { numeric: Record<string, number> }[]) => ({ labels: features.map((f) => (f.numeric.nswprice! > 0.05 ? 'UP' : 'DOWN')) }),
      close: async () => void (closed = true),
    } as unknown as Scorer;
    const cf = await scoreCounterfactual(
      { api: { get: async <T>(path: string) => (asked.push(path), { version: record } as T) }, loadVersion: async (v) => (expect(v).toBe(record), scorer) },
      'elec2', '1', rows,
    );
    expect(asked).toEqual(['/registry/models/elec2/versions/1']);
    expect([...cf.correct]).toEqual([[0, true], [1, true], [2, false]]);
    expect(closed).toBe(true);
    const served: Answer[] = [{ index: 0, at: 0, variant: 'champion', version: '1', correct: true }, { index: 2, at: 0, variant: 'champion', version: '1', correct: true }, { index: 1, at: 0, variant: 'canary', version: '2', correct: false }];
    expect(servedAgreement(cf, served)).toEqual({ agreed: 1, compared: 2 });
  });
});
