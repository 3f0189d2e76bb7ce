import { describe, expect, it } from 'vitest';
import { Registry, ValidationError, silentLogger } from '../../../services/common/index.js';
import { builtinScorer } from '../../../services/gateway/builtin-scorer.js';
import type { Deployment } from '../../../services/gateway/deployment.js';
import type { Emitter, EmittedTopic } from '../../../services/gateway/emitter.js';
import { gatewayMetrics } from '../../../services/gateway/metrics.js';
import { UnscorableInstanceError, createPredictor } from '../../../services/gateway/predictor.js';
import type { Instance, Scorer } from '../../../services/gateway/types.js';
import type { LoadedVersion } from '../../../services/gateway/version-cache.js';
import { trainTinyModel } from '../../support/served-models.js';

/** An emitter that keeps what it was given: the predictor's decisions, no Kafka. */
function recordingEmitter(): Emitter & { events: { topic: EmittedTopic; key: string; event: Record<string, unknown> }[] } {
  const events: { topic: EmittedTopic; key: string; event: Record<string, unknown> }[] = [];
  return {
    events,
    emit: (topic, key, event) => events.push({ topic, key, event: event as Record<string, unknown> }) > 0,
    admit: () => ({ emit: (topic, key, event) => events.push({ topic, key, event: event as Record<string, unknown> }) > 0, release: () => undefined }),
    flush: async () => {},
    pending: 0,
    close: async () => {},
  };
}

const loaded = (version: string, scorer: Scorer): LoadedVersion => ({ key: `m@${version}`, model: 'm', version, scorer });

function deploymentOf(champion: LoadedVersion, shadow: LoadedVersion | null = null): Deployment {
  return { model: 'm', key: 'k', champion, canary: null, shadow: shadow && { version: shadow, rolloutId: 'r1' }, featureKinds: new Map(), enter() {}, leave() {}, retire() {} };
}

function predictorWith(emitter: Emitter) {
  return createPredictor({ emitter, metrics: gatewayMetrics(new Registry()), logger: silentLogger(), clock: { now: () => 1_700_000_000_000 }, stickyKey: 'event', shadowQueueCapacity: 10 });
}

const instance = (eventId: string, x: number): Instance => ({ eventId, entityId: null, features: { numeric: { x, y: 0 }, categorical: { color: 'red' } } });

/** A tiny logistic model with its weights scaled so that x = 1e308 (finite once standardized) overflows its logits to +∞ and -∞: softmax gives NaN. */
async function overflowingScorer(): Promise<Scorer> {
  const artifact = await trainTinyModel(1, { algorithm: 'logistic' });
  const scaled = { ...artifact, layers: artifact.layers.map((l) => ({ ...l, weights: l.weights.map((w) => w * 10) })) };
  return builtinScorer(JSON.parse(JSON.stringify(scaled)));
}

describe('predictor', () => {
  it('refuses a request with 503 before scoring when its events have no room, and records every request it answers', async () => {
    const scorer = builtinScorer(await trainTinyModel(1, { algorithm: 'logistic' }));
    const emitter = recordingEmitter();
    let room = 4;
    const full: Emitter = { ...emitter, admit: (n) => (n <= room ? (room -= n, emitter.admit(n)) : null) };
    const predictor = predictorWith(full);
    const answered = await predictor.predict(deploymentOf(loaded('1', scorer)), [instance('a', 0.1), instance('b', 0.2)], 0);
    expect(answered).toHaveLength(2);
    expect(emitter.events.map((e) => `${e.topic}:${e.key}`).sort()).toEqual(['features:a', 'features:b', 'predictions:a', 'predictions:b']);
    const refused = await predictor.predict(deploymentOf(loaded('1', scorer)), [instance('c', 0.3)], 0).catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: 'DL_OVERLOADED', statusCode: 503, retriable: true, retryAfterSeconds: 1 });
    expect(emitter.events).toHaveLength(4);
  });

  it('refuses an instance the model answers with NaN, naming it and its most outlying feature, and emits nothing for the request', async () => {
    const scorer = await overflowingScorer();
    const x = scorer.preprocessing.numeric.find((f) => f.name === 'x')!;
    // The value is one the contract lets in: standardized, it is finite.
    expect(Number.isFinite((1e308 - x.mean) / x.std)).toBe(true);
    const emitter = recordingEmitter();
    const predictor = predictorWith(emitter);
    const caught = await predictor.predict(deploymentOf(loaded('3', scorer)), [instance('ok', 0.5), instance('huge', 1e308)], 0).catch((err: unknown) => err);
    expect(caught).toBeInstanceOf(UnscorableInstanceError);
    expect(caught).toBeInstanceOf(ValidationError);
    expect(caught).toMatchObject({ code: 'DL_VALIDATION', statusCode: 400, index: 1, feature: 'x' });
    expect((caught as UnscorableInstanceError).reason).toBe(
      `model version 3 answers a non-finite probability for this instance: feature x = 1e+308 standardizes to ${(1e308 - x.mean) / x.std}, too far from what the model was trained on`,
    );
    expect(emitter.events).toEqual([]);

    const results = await predictor.predict(deploymentOf(loaded('3', scorer)), [instance('ok', 0.5)], 0);
    expect(results.every((r) => Number.isFinite(r.score) && Array.from(r.probabilities).every(Number.isFinite))).toBe(true);
    expect(emitter.events.map((e) => e.topic)).toEqual(['features', 'predictions']);
    await predictor.close();
  });

  it("leaves out a shadow's non-finite answer and still answers the request with the champion", async () => {
    const champion = loaded('1', builtinScorer(JSON.parse(JSON.stringify(await trainTinyModel(1, { algorithm: 'logistic' })))));
    const emitter = recordingEmitter();
    const predictor = predictorWith(emitter);
    const results = await predictor.predict(deploymentOf(champion, loaded('2', await overflowingScorer())), [instance('a', 0.5), instance('b', 1e308)], 0);
    expect(results.map((r) => [r.eventId, r.variant, Number.isFinite(r.score)])).toEqual([['a', 'champion', true], ['b', 'champion', true]]);
    await predictor.shadowIdle();
    const predictions = emitter.events.filter((e) => e.topic === 'predictions').map((e) => [e.key, e.event.variant]);
    expect(predictions).toEqual([['a', 'champion'], ['b', 'champion'], ['a', 'shadow']]);
    expect(emitter.events.filter((e) => e.topic === 'predictions').every((e) => Number.isFinite(e.event.score))).toBe(true);
    await predictor.close();
  });
});
