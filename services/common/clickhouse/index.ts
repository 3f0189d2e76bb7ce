export { createClickHouse } from './client.js';
export type { ClickHouse, ClickHouseOptions, Column, InsertOptions, QueryParams } from './client.js';
export { migrate, readMigrations, splitStatements, DEFAULT_MIGRATIONS_DIR } from './migrations.js';
export type { Migration, MigrateResult } from './migrations.js';
export { assertIdentifier, IDENTIFIER } from './identifiers.js';
export { RowBinaryWriter, readRowBinaryString } from './row-binary.js';
export { toClickHouseError, DATA_ERROR_CODES } from './errors.js';
export { toDateTime64Text, fromDateTime64Text } from './datetime.js';
