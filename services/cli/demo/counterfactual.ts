import type { Scorer, VersionRecord } from '../../gateway/index.js';
import type { DemoApi } from './api.js';
import type { Elec2Row } from './elec2.js';
import type { Answer } from './replay.js';
import type { LoopEvents } from './timeline.js';
import { loopOutcome } from './outcome.js';

/**
 * What a version the gateway did not ask would have answered: whether it was
 * right, per Elec2 record. Periods of Elec2 differ by season, so comparing
 * v2 after its promotion with v1 before says little; v1 on the very records
 * v2 answered does.
 */
export interface Counterfactual {
  version: string;
  correct: ReadonlyMap<number, boolean>;
}

export interface CounterfactualDeps {
  api: Pick<DemoApi, 'get'>;
  /** Builds a version's scorer from its registered artifacts, checked against their sha256: the gateway's own loadVersion. */
  loadVersion(v: VersionRecord): Promise<Scorer>;
}

/**
 * The versions worth a counterfactual once the loop ended: the champion the
 * retrain was meant to replace (for the records its successor answered) and
 * the registered candidate (for the records answered after it was rolled
 * back or rejected).
 */
export function counterfactualVersions(events: LoopEvents): string[] {
  const previousChampion = events['registry-events'].find((e) => e.action === 'alias_set' && e.alias === 'champion')?.version ?? '1';
  const candidate = loopOutcome(events)?.version ?? null;
  return [...new Set([previousChampion, ...(candidate ? [candidate] : [])])];
}

/**
 * Scores `rows` offline with `version`'s registered artifact, through the
 * same loader and scorer the gateway serves it with, and marks each answer
 * right or wrong against the row's label.
 */
export async function scoreCounterfactual(deps: CounterfactualDeps, model: string, version: string, rows: readonly Elec2Row[]): Promise<Counterfactual> {
  const { version: record } = await deps.api.get<{ version: VersionRecord }>(`/registry/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}`);
  const scorer = await deps.loadVersion(record);
  try {
    const { labels } = await scorer.score(rows.map((r) => ({ numeric: r.numeric, categorical: { day: r.day } })));
    return { version, correct: new Map(rows.map((r, i) => [r.index, labels[i] === r.label])) };
  } finally {
    await scorer.close();
  }
}

/**
 * How often the counterfactual agrees with what the same version really
 * answered (right or wrong; for two classes that is the same label): a check
 * that scoring offline reproduces the gateway.
 */
export function servedAgreement(counterfactual: Counterfactual, answers: readonly Answer[]): { agreed: number; compared: number } {
  let agreed = 0;
  let compared = 0;
  for (const a of answers) {
    const correct = a.version === counterfactual.version ? counterfactual.correct.get(a.index) : undefined;
    if (correct === undefined) continue;
    compared++;
    if (correct === a.correct) agreed++;
  }
  return { agreed, compared };
}

/** `answers` as `counterfactual.version` would have answered them; null unless it was scored on every one. */
export function answeredBy(counterfactual: Counterfactual, answers: readonly Answer[]): Answer[] | null {
  const out: Answer[] = [];
  for (const a of answers) {
    const correct = counterfactual.correct.get(a.index);
    if (correct === undefined) return null;
    out.push({ ...a, variant: 'counterfactual', version: counterfactual.version, correct });
  }
  return out;
}
