/** What started a retraining run: the link back that makes lineage readable. */
export interface RetrainCause {
  kind: 'drift' | 'alert' | 'schedule' | 'performance' | 'manual' | 'replay';
  /** Id of the cause: drift report event_id, alert fingerprint, schedule slot, user. */
  ref: string;
  /** Human-readable summary. */
  detail: string;
}

export interface RetrainInput {
  model: string;
  cause: RetrainCause;
  /** Service or user that asked. */
  requestedBy: string;
  /** Overrides for the training spec. */
  params?: Record<string, string>;
  /** Event time of the cause (a window's close, a schedule slot); default: the model's newest event. */
  at?: number;
}

/**
 * `opened`: a new run was requested on `retrain-requests`. `joined`: a run was
 * already open for the model (or this very cause opened one before), nothing new
 * was requested. `cooldown`: the model was retrained too recently; nothing requested.
 */
/** `off`: the model's policy turns automatic retraining off (autoRetrain: false); only a person can open a run. */
export type RetrainStatus = 'opened' | 'joined' | 'cooldown' | 'off';

export interface RetrainOutcome {
  runId: string;
  status: RetrainStatus;
}

/**
 * The one door to retraining, shared by the window policy and the alert hooks.
 * Keeps at most one open run per model; the run id is deterministic in the
 * cause, so a replayed cause never opens a second run.
 */
export interface RetrainRequester {
  request(input: RetrainInput): Promise<RetrainOutcome>;
  /** Whether the drift monitor knows the model (it has a reference profile). */
  knowsModel(model: string): Promise<boolean>;
}
