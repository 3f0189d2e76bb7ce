/** Public API of the prediction gateway. */
export { createGatewayService } from './service.js';
export type { GatewayService, GatewayDeps, GatewaySettings } from './service.js';
export { gatewayOptions } from './config.js';
export { registerGatewayRoutes } from './routes.js';
export { readModelPlans } from './plan-store.js';
export { loadVersion } from './load-version.js';
export { hash32, splitPoint, routesToCanary } from './traffic-split.js';
export type { ModelPlan, RolloutPlan, VersionRecord, Variant, ArtifactFormat, Instance, InstanceResult, Scorer, Scores } from './types.js';
