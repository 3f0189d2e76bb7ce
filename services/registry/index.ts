export { createRegistry, ALIAS } from './registry.js';
export type { Registry, RegistryDeps, Registration, RegistryAction } from './registry.js';
export { VERSION_STATUSES, aliasHistory, getAlias, getVersion, listAliases, listModels, listVersions } from './store.js';
export type { AliasMove, ArtifactFormat, ModelVersion, VersionStatus } from './store.js';
export { createRegistryService } from './service.js';
export type { RegistryService, RegistryServiceDeps, RegistrySettings } from './service.js';
export { registryOptions } from './config.js';
export { registerRegistryRoutes } from './routes.js';
