/** One labeled example: numeric features (absent or NaN = missing), categorical features (absent = missing), and its label. */
export interface TabularRow {
  numeric: Record<string, number>;
  categorical: Record<string, string>;
  label: string;
}

export type TabularRows = TabularRow[];

/** Features of one row to score; a label, if present, is ignored. */
export type FeatureRow = Pick<TabularRow, 'numeric' | 'categorical'>;

export type BuiltinAlgorithm = 'logistic' | 'mlp';

export type ParamValue = number | string | number[];

/** Metrics reported after each epoch. `loss` is the mean training cross-entropy over the epoch's mini-batches (dropout on, L2 excluded). */
export interface EpochMetricValues {
  loss: number;
  val_loss: number;
  val_accuracy: number;
  /** Binary problems only: ROC AUC of P(positive class). */
  val_auc?: number;
}

export interface EpochMetrics {
  /** 1-based. */
  epoch: number;
  metrics: EpochMetricValues;
}

/** Standardization statistics of one numeric feature, fitted on train. */
export interface NumericFeature {
  name: string;
  mean: number;
  /**
   * Population standard deviation. 0 where the present train values were all
   * equal or there were none: the feature's standardized value is then always
   * 0, so it contributes nothing however it varies in serving. Older
   * artifacts hold 1 or a rounding residue (4e-19) there instead, and are
   * scored with what they hold.
   */
  std: number;
}

/** One-hot vocabulary of one categorical feature, fitted on train. */
export interface CategoricalFeature {
  name: string;
  /** Sorted; at most `maxCategories` of the most frequent train values. */
  categories: string[];
  /**
   * True when train had more distinct values than the cap: one extra column
   * after `categories` then takes every value outside the vocabulary (rare
   * train values and unseen ones alike). False: an unseen value is all zeros.
   */
  other: boolean;
}

/** Everything needed to turn rows into the model's input matrix. */
export interface Preprocessing {
  numeric: NumericFeature[];
  categorical: CategoricalFeature[];
}

/** A dense layer: `output = activation(input · weights + bias)`, weights `rows` (inputs) x `cols` (outputs), row-major. */
export interface ArtifactLayer {
  weights: number[];
  bias: number[];
  rows: number;
  cols: number;
  activation: 'relu' | 'softmax';
}

/**
 * The model artifact: a versioned JSON document holding everything a server
 * needs to predict (preprocessing included) and how it was trained. Plain
 * numbers only, so JSON.stringify/parse round-trips it exactly.
 */
export interface ModelArtifact {
  format: 'driftloop.builtin';
  version: 1;
  algorithm: BuiltinAlgorithm;
  /** Sorted label values; the output layer's columns in this order. */
  classes: string[];
  /** Binary: the class whose probability is the score. Multi-class: null. */
  positive_class: string | null;
  preprocessing: Preprocessing;
  layers: ArtifactLayer[];
  /** Every training param, defaults filled in. */
  params: Record<string, ParamValue>;
  seed: number;
  trained_rows: number;
  created_with: string;
}
