/** Inbound alert webhooks (Grafana, Alertmanager) that can request a retrain. */
export { registerDriftHooks } from './routes.js';
export type { DriftHooksOptions, HookAlertResult, HookAlertStatus, HookResponse } from './routes.js';
export type { HookAuthOptions } from './auth.js';
