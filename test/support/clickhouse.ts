import { createClickHouse, migrate, silentLogger, type ClickHouse } from '../../services/common/index.js';
import { tempDir } from './index.js';

/** A chDB engine in a fresh directory with every migration applied: for tests of one table family, without Kafka. */
export async function migratedChdb(database: string): Promise<ClickHouse> {
  const ch = await createClickHouse({ url: `chdb:${await tempDir()}`, database, logger: silentLogger() });
  await migrate(ch, { logger: silentLogger() });
  return ch;
}
