import { opt } from '../common/index.js';

/** Options of the trainer (README "Configuration"). */
export const trainerOptions = {
  trainerGroupId: opt.string({ env: 'TRAINER_GROUP_ID', doc: 'Kafka consumer group the trainer reads retrain-requests with.', default: 'driftloop-trainer' }),
  trainerArtifactsDir: opt.string({ env: 'TRAINER_ARTIFACTS_DIR', doc: 'Where candidate models are written (<dir>/<model>/<run_id>/model.json).', default: '.data/artifacts' }),
  trainerWorkDir: opt.string({ env: 'TRAINER_WORK_DIR', doc: 'Where training snapshots are exported (<dir>/<run_id>/{train,validation,test}.csv).', default: '.data/trainer' }),
  trainerParallelism: opt.int({ env: 'TRAINER_PARALLELISM', doc: 'Trials trained at once (CPU slots).', default: 1, min: 1, max: 64 }),
  trainerSpec: opt.string({
    env: 'TRAINER_SPEC',
    doc: 'Default training spec overrides, JSON of the same keys a retrain request\'s params take: {"window_rows":"20000","algorithm":"mlp","max_trials":"8","sampler":"tpe","pruner":"median","space":"{...}","param.epochs":"8"}.',
    default: '{}',
  }),
};
