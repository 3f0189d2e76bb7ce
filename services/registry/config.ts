import { opt } from '../common/index.js';

/** Options of the model registry (README "Registry"). */
export const registryOptions = {
  registryGroupId: opt.string({ env: 'REGISTRY_GROUP_ID', doc: 'Kafka consumer group the registry reads evaluations with.', default: 'driftloop-registry' }),
  registryArtifactsDir: opt.string({ env: 'REGISTRY_ARTIFACTS_DIR', doc: 'Where registered versions\' artifacts are stored (<dir>/<model>/<version>/).', default: '.data/registry' }),
  registryApproval: opt.enum({ env: 'REGISTRY_APPROVAL', doc: 'auto: a version that passed evaluation is approved at once; manual: it waits for approve or reject (API, CLI).', values: ['auto', 'manual'] as const, default: 'auto' }),
};
