import { ConfigError, opt, type ConfigOf } from '../common/index.js';
import type { AnalysisThresholds } from './analysis.js';
import { invalidSteps } from './plan.js';
import type { RolloutSettings } from './service.js';

const WEIGHT = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/;

/** Options of the rollout controller (README "Rollout configuration and states"). */
export const rolloutOptions = {
  rolloutGroupId: opt.string({ env: 'ROLLOUT_GROUP_ID', doc: 'Kafka consumer group the rollout controller reads registry-events with.', default: 'driftloop-rollout' }),
  rolloutSteps: opt.list({ env: 'ROLLOUT_STEPS', doc: 'Canary traffic weights after the shadow phase, increasing, each in (0, 1].', default: ['0.01', '0.10', '0.50', '1.00'], item: WEIGHT }),
  rolloutShadowDurationMs: opt.int({ env: 'ROLLOUT_SHADOW_DURATION_MS', doc: 'How long the shadow phase (mirrored traffic, weight 0) lasts, analysed every interval; 0 skips it.', default: 600_000, min: 0 }),
  rolloutAnalysisIntervalMs: opt.int({ env: 'ROLLOUT_ANALYSIS_INTERVAL_MS', doc: 'How long each canary step is held; analysis runs at the end of every interval.', default: 300_000, min: 1000 }),
  rolloutPollIntervalMs: opt.int({ env: 'ROLLOUT_POLL_INTERVAL_MS', doc: 'How often due analyses are looked for.', default: 1000, min: 10 }),
  rolloutMinSamples: opt.int({ env: 'ROLLOUT_MIN_SAMPLES', doc: 'Requests the candidate and the champion each need in a step before it is judged; fewer extends the step.', default: 100, min: 1 }),
  rolloutMinLabeledSamples: opt.int({ env: 'ROLLOUT_MIN_LABELED_SAMPLES', doc: 'Labeled predictions each side needs before accuracy is judged (fewer: accuracy is reported, not judged).', default: 100, min: 1 }),
  rolloutMaxStepExtensions: opt.int({ env: 'ROLLOUT_MAX_STEP_EXTENSIONS', doc: 'Intervals a step may be extended for lack of samples; a step still undecided after them rolls back.', default: 6, min: 0, max: 1000 }),
  rolloutFailureThreshold: opt.int({ env: 'ROLLOUT_FAILURE_THRESHOLD', doc: 'Failed checks tolerated over a rollout; one more rolls back. A failure within it holds the step for another interval.', default: 0, min: 0 }),
  rolloutMaxErrorRateRatio: opt.number({ env: 'ROLLOUT_MAX_ERROR_RATE_RATIO', doc: 'Candidate error rate must be <= max(champion x this, champion + ROLLOUT_MAX_ERROR_RATE_MARGIN).', default: 1.5, min: 1 }),
  rolloutMaxErrorRateMargin: opt.number({ env: 'ROLLOUT_MAX_ERROR_RATE_MARGIN', doc: 'Absolute error-rate allowance over the champion.', default: 0.01, min: 0, max: 1 }),
  rolloutMaxLatencyRatio: opt.number({ env: 'ROLLOUT_MAX_LATENCY_RATIO', doc: 'Candidate p99 latency must be <= champion p99 x this + ROLLOUT_MAX_LATENCY_MARGIN_MS.', default: 1.5, min: 1 }),
  rolloutMaxLatencyMarginMs: opt.number({ env: 'ROLLOUT_MAX_LATENCY_MARGIN_MS', doc: 'Absolute p99 latency allowance over the champion, in ms.', default: 5, min: 0 }),
  rolloutMaxAccuracyDrop: opt.number({ env: 'ROLLOUT_MAX_ACCURACY_DROP', doc: 'Candidate online accuracy must be >= champion - this (less the sampling noise, see ROLLOUT_ACCURACY_CONFIDENCE).', default: 0.02, min: 0, max: 1 }),
  rolloutAccuracyConfidence: opt.number({ env: 'ROLLOUT_ACCURACY_CONFIDENCE', doc: 'Accuracy fails a step only when the candidate is worse than champion - ROLLOUT_MAX_ACCURACY_DROP with this one-sided confidence (normal approximation of the difference of two shares); 0.5 compares the bare shares.', default: 0.95, min: 0.5, max: 0.999 }),
  rolloutMaxPredictionPsi: opt.number({ env: 'ROLLOUT_MAX_PREDICTION_PSI', doc: "PSI of the candidate's score (or class) distribution against the champion's must be <= this.", default: 0.2, min: 0 }),
  rolloutMinAgreement: opt.number({ env: 'ROLLOUT_MIN_AGREEMENT', doc: 'Shadow phase: share of events the candidate answers like the champion must be >= this (0 disables).', default: 0.8, min: 0, max: 1 }),
  rolloutManualGate: opt.bool({ env: 'ROLLOUT_MANUAL_GATE', doc: 'Wait in awaiting_approval for an operator after the last step instead of promoting (per rollout: the version tag manual_gate).', default: false }),
  rolloutWebhooks: opt.list({ env: 'ROLLOUT_WEBHOOKS', doc: 'URLs every rollout event is POSTed to as JSON.', default: [], item: /^https?:\/\/\S+$/ }),
  rolloutWebhookSecret: opt.string({ env: 'ROLLOUT_WEBHOOK_SECRET', doc: 'Signs webhook posts (X-Driftloop-Signature: sha256=HMAC-SHA256(secret, timestamp + "." + body)).', default: '', secret: true }),
};

export type RolloutConfig = ConfigOf<typeof rolloutOptions>;

/** Thresholds of the analysis checks from the configuration. */
export function thresholdsFromConfig(c: RolloutConfig): AnalysisThresholds {
  return {
    minSamples: c.rolloutMinSamples,
    minLabeledSamples: c.rolloutMinLabeledSamples,
    errorRateRatio: c.rolloutMaxErrorRateRatio,
    errorRateMargin: c.rolloutMaxErrorRateMargin,
    latencyRatio: c.rolloutMaxLatencyRatio,
    latencyMarginMs: c.rolloutMaxLatencyMarginMs,
    maxAccuracyDrop: c.rolloutMaxAccuracyDrop,
    accuracyConfidence: c.rolloutAccuracyConfidence,
    maxPredictionPsi: c.rolloutMaxPredictionPsi,
    minAgreement: c.rolloutMinAgreement,
  };
}

/** The controller's settings from the configuration; a bad steps list fails naming ROLLOUT_STEPS. */
export function rolloutSettingsFromConfig(c: RolloutConfig, topicPrefix: string): RolloutSettings {
  const steps = c.rolloutSteps.map(Number);
  const invalid = invalidSteps(steps);
  if (invalid) throw new ConfigError('ROLLOUT_STEPS', `${JSON.stringify(c.rolloutSteps.join(','))} ${invalid}`);
  return Object.freeze({
    topicPrefix,
    groupId: c.rolloutGroupId,
    pollIntervalMs: c.rolloutPollIntervalMs,
    plan: Object.freeze({ steps: Object.freeze(steps), shadowDurationMs: c.rolloutShadowDurationMs, analysisIntervalMs: c.rolloutAnalysisIntervalMs, maxStepExtensions: c.rolloutMaxStepExtensions }),
    thresholds: Object.freeze(thresholdsFromConfig(c)),
    failureThreshold: c.rolloutFailureThreshold,
    manualGate: c.rolloutManualGate,
  });
}
