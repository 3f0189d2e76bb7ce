import { opt, type ConfigOf } from '../common/index.js';
import { DEFAULT_POLICY, mergePolicy, type DriftPolicy } from './policy.js';

/** Options of the drift monitor (README "Configuration"). Per-model policy overrides go in DRIFT_POLICIES. */
export const driftOptions = {
  driftGroupId: opt.string({ env: 'DRIFT_GROUP_ID', doc: 'Kafka consumer group the drift monitor reads training-results with.', default: 'driftloop-drift' }),
  driftPromotionReference: opt.bool({ env: 'DRIFT_PROMOTION_REFERENCE', doc: 'When a model\'s champion changes (alias champion on registry-events), build its reference from the features of the new champion\'s training window, compare windows from the promotion on with it, and complete it with the score, class and accuracy of the champion\'s own answers once it has served long enough (DRIFT_PROMOTION_SERVED_MS); false: a reference changes only through POST /drift/models/:model/reference.', default: true }),
  driftPromotionGroupId: opt.string({ env: 'DRIFT_PROMOTION_GROUP_ID', doc: 'Kafka consumer group the drift monitor reads registry-events (champion moves) with.', default: 'driftloop-drift-promotions' }),
  driftPromotionFallbackMs: opt.int({ env: 'DRIFT_PROMOTION_FALLBACK_MS', doc: 'A new champion without a training window (registered by hand) gets a reference from the model\'s features of this much event time before its promotion, if there are at least a window\'s minimum (DRIFT_MIN_WINDOW_ROWS or the model\'s policy); 0: none, its windows stay compared with the previous reference (logged).', default: 86_400_000, min: 0 }),
  driftPromotionServedMs: opt.int({ env: 'DRIFT_PROMOTION_SERVED_MS', doc: 'A new champion\'s reference gets the score, class and accuracy of its own answers once it has served this much event time since its promotion (and the policy\'s minWindowRows answers, minLabeledRows labeled for accuracy): a short span would make its daily cycle look like prediction drift. Until then prediction drift and the accuracy check of the model are off.', default: 86_400_000, min: 0 }),
  driftPollIntervalMs: opt.int({ env: 'DRIFT_POLL_INTERVAL_MS', doc: 'How often closed windows are looked for.', default: 5000, min: 10 }),
  driftLatenessMs: opt.int({ env: 'DRIFT_LATENESS_MS', doc: 'A window closes once events this much newer than its end have been ingested (late events are not waited for longer).', default: 60_000, min: 0 }),
  driftWindowMs: opt.int({ env: 'DRIFT_WINDOW_MS', doc: 'Default tumbling window length in event time.', default: 3_600_000, min: 1000 }),
  driftWindowRows: opt.int({ env: 'DRIFT_WINDOW_ROWS', doc: 'Default window size in events; > 0 switches to count windows.', default: 0, min: 0 }),
  driftMinWindowRows: opt.int({ env: 'DRIFT_MIN_WINDOW_ROWS', doc: 'Windows with fewer events decide nothing.', default: 100, min: 1 }),
  driftThresholdMode: opt.enum({ env: 'DRIFT_THRESHOLD_MODE', doc: 'fixed thresholds, or adaptive: mean + 3 sigma of each statistic over reference chunks.', values: ['fixed', 'adaptive'] as const, default: 'fixed' }),
  driftShareThreshold: opt.number({ env: 'DRIFT_SHARE_THRESHOLD', doc: 'Dataset drift when at least this share of features drifted.', default: 0.5, min: 0, max: 1 }),
  driftConsecutiveWindows: opt.int({ env: 'DRIFT_CONSECUTIVE_WINDOWS', doc: 'Drifting windows in a row before a retrain is requested.', default: 2, min: 1 }),
  driftCooldownMs: opt.int({ env: 'DRIFT_COOLDOWN_MS', doc: 'No new automatic retrain this soon (event time) after the last request.', default: 3_600_000, min: 0 }),
  driftMaxAccuracyDrop: opt.number({ env: 'DRIFT_MAX_ACCURACY_DROP', doc: 'Retrain when the champion accuracy falls this far below the reference (0 disables).', default: 0.05, min: 0, max: 1 }),
  driftLabelDelayMs: opt.int({ env: 'DRIFT_LABEL_DELAY_MS', doc: 'How long labels may trail their predictions (event time); windows of models with performance close that much later.', default: 0, min: 0 }),
  driftScheduleIntervalMs: opt.int({ env: 'DRIFT_SCHEDULE_INTERVAL_MS', doc: 'Retrain on this period of event time regardless of drift (0 disables).', default: 0, min: 0 }),
  driftPolicies: opt.string({ env: 'DRIFT_POLICIES', doc: 'Per-model policy overrides, JSON: {"<model>": {"windowRows": 5000, "thresholds": {"psi": 0.25}, ...}} (keys as in the README policy table).', default: '{}' }),
  driftOpenRunTimeoutMs: opt.int({ env: 'DRIFT_OPEN_RUN_TIMEOUT_MS', doc: 'A run blocks new ones until its release is over (training failed, or its candidate rejected by the evaluator or in the registry, promoted or rolled back); after this long since its request it stops blocking them. Processing time, a safeguard for a run whose trainer, evaluator or rollout is gone.', default: 6 * 3_600_000, min: 1000 }),
  driftPsiEpsilon: opt.number({ env: 'DRIFT_PSI_EPSILON', doc: 'Share empty PSI bins are clamped to.', default: 1e-4, min: 1e-12, max: 0.1 }),
  driftHookToken: opt.string({ env: 'DRIFT_HOOK_TOKEN', doc: 'Bearer token the alert hooks accept. Empty with an empty HMAC secret refuses every hook call.', default: '', secret: true }),
  driftHookHmacSecret: opt.string({ env: 'DRIFT_HOOK_HMAC_SECRET', doc: 'HMAC-SHA256 secret of Grafana webhook signatures (X-Grafana-Alerting-Signature).', default: '', secret: true }),
  driftHookModelLabel: opt.string({ env: 'DRIFT_HOOK_MODEL_LABEL', doc: 'Alert label that names the model.', default: 'model', pattern: /^[A-Za-z_][A-Za-z0-9_]*$/ }),
  driftAlertWebhooks: opt.list({ env: 'DRIFT_ALERT_WEBHOOKS', doc: 'URLs that receive drift and retrain alerts (Alertmanager webhook v4 payloads).', default: [], item: /^https?:\/\/\S+$/ }),
  driftAlertHmacSecret: opt.string({ env: 'DRIFT_ALERT_HMAC_SECRET', doc: 'Signs outbound alerts (X-Driftloop-Signature).', default: '', secret: true }),
  driftAlertBearerToken: opt.string({ env: 'DRIFT_ALERT_BEARER_TOKEN', doc: 'Bearer token sent with outbound alerts.', default: '', secret: true }),
};

export type DriftConfig = ConfigOf<typeof driftOptions>;

/** The monitor's default policy: DEFAULT_POLICY with the DRIFT_* options over it (DRIFT_POLICIES refines it per model). */
export function defaultPolicyFromConfig(c: DriftConfig): DriftPolicy {
  return mergePolicy(
    DEFAULT_POLICY,
    {
      mode: c.driftThresholdMode,
      windowMs: c.driftWindowMs,
      windowRows: c.driftWindowRows,
      minWindowRows: c.driftMinWindowRows,
      driftShare: c.driftShareThreshold,
      consecutiveWindows: c.driftConsecutiveWindows,
      cooldownMs: c.driftCooldownMs,
      maxAccuracyDrop: c.driftMaxAccuracyDrop,
      scheduleIntervalMs: c.driftScheduleIntervalMs,
      labelDelayMs: c.driftLabelDelayMs,
    },
    'DRIFT_*',
  );
}
