export { createIngestService } from './service.js';
export type { IngestService, IngestDeps, IngestStats } from './service.js';
export { ingestOptions } from './config.js';
export type { IngestSettings } from './config.js';
export { tableSpec, ORIGIN_COLUMNS } from './tables.js';
export type { TableSpec, DataColumn, ColumnKind } from './tables.js';
export { createRowDecoder } from './row-decoder.js';
export type { RowDecoder } from './row-decoder.js';
export { registerIngestRoutes } from './routes.js';
