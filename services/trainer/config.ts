import { opt } from '../common/index.js';

/** Options of the trainer (README "Configuration"). */
export const trainerOptions = {
  trainerGroupId: opt.string({ env: 'TRAINER_GROUP_ID', doc: 'Kafka consumer group the trainer reads retrain-requests with.', default: 'driftloop-trainer' }),
  trainerArtifactsDir: opt.string({ env: 'TRAINER_ARTIFACTS_DIR', doc: 'Where candidate models are written (<dir>/<model>/<run_id>/model.json).', default: '.data/artifacts' }),
  trainerWorkDir: opt.string({ env: 'TRAINER_WORK_DIR', doc: 'Where training snapshots are exported (<dir>/<run_id>/{train,validation,test}.csv).', default: '.data/trainer' }),
  trainerParallelism: opt.int({ env: 'TRAINER_PARALLELISM', doc: 'Builtin trials trained at once (in the trainer process).', default: 1, min: 1, max: 64 }),
  trainerGpus: opt.string({
    env: 'TRAINER_GPUS',
    doc: 'GPU slots for external trials: auto (one per GPU nvidia-smi lists), none, or indices such as 0,1. One trial per slot, with CUDA_VISIBLE_DEVICES set to it.',
    default: 'auto',
    pattern: /^(auto|none|\d+(,\d+)*)$/,
    allowedText: 'auto, none, or GPU indices such as 0,1',
  }),
  trainerCpuSlots: opt.int({ env: 'TRAINER_CPU_SLOTS', doc: 'External trials run at once when there is no GPU slot.', default: 1, min: 1, max: 256 }),
  trainerKillGraceMs: opt.int({ env: 'TRAINER_KILL_GRACE_MS', doc: 'Between SIGTERM and SIGKILL when an external trial is pruned, cancelled or times out.', default: 10_000, min: 0, max: 600_000 }),
  trainerPython: opt.string({ env: 'TRAINER_PYTHON', doc: 'Python that runs the reference PyTorch trainer (torch-mlp); auto: the first of python3, /usr/bin/python3 that imports torch.', default: 'auto' }),
  trainerCommands: opt.string({
    env: 'TRAINER_COMMANDS',
    doc: 'External trainers besides torch-mlp, JSON: {"<name>": {"command": ["argv", ...], "space": {...}, "params": {...}}}; a retrain request picks one with params.trainer.',
    default: '{}',
  }),
  trainerSpec: opt.string({
    env: 'TRAINER_SPEC',
    doc: 'Default training spec overrides, JSON of the same keys a retrain request\'s params take: {"window_rows":"20000","trainer":"builtin","algorithm":"mlp","max_trials":"8","sampler":"tpe","pruner":"median","space":"{...}","param.epochs":"8"}.',
    default: '{}',
  }),
};
