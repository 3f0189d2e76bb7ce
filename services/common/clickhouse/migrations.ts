import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MigrationError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ClickHouse } from './client.js';

/** `infra/clickhouse/` of this checkout. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../../infra/clickhouse/', import.meta.url));

const FILE = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  version: number;
  name: string;
  checksum: string;
  statements: string[];
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: number;
}

/**
 * Splits a SQL file into statements on `;` at the end of a statement, leaving
 * semicolons inside quotes and comments alone.
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    if (quote) {
      current += ch;
      if (ch === '\\') current += sql[++i] ?? '';
      else if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      quote = ch;
      current += ch;
    } else if (ch === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      current += '\n';
    } else if (ch === ';') {
      if (current.trim()) out.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

export async function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const seen = new Map<number, string>();
  const migrations: Migration[] = [];
  for (const file of files) {
    const m = FILE.exec(file);
    if (!m) throw new MigrationError(`${file}: migration files are named NNN_name.sql`);
    const version = Number(m[1]);
    if (seen.has(version)) throw new MigrationError(`${file} and ${seen.get(version)} share version ${version}`);
    seen.set(version, file);
    const text = await readFile(join(dir, file), 'utf8');
    migrations.push({
      version,
      name: file,
      checksum: createHash('sha256').update(text).digest('hex'),
      statements: splitStatements(text),
    });
  }
  return migrations.sort((a, b) => a.version - b.version);
}

/**
 * Applies every migration not yet recorded, in version order, each once.
 * Refuses to run when an applied migration's file changed since: migrations
 * are history, a change goes in a new file.
 */
export async function migrate(ch: ClickHouse, options: { dir?: string; logger: Logger }): Promise<MigrateResult> {
  const log = options.logger.child({ component: 'migrations' });
  await ch.command(
    `CREATE TABLE IF NOT EXISTS {db:Identifier}.schema_migrations
     (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
     ENGINE = MergeTree ORDER BY version`,
  );
  const migrations = await readMigrations(options.dir);
  const rows = await ch.query<{ version: number; name: string; checksum: string }>(
    'SELECT version, any(name) AS name, any(checksum) AS checksum FROM {db:Identifier}.schema_migrations GROUP BY version',
  );
  const applied = new Map(rows.map((r) => [Number(r.version), r]));
  for (const m of migrations) {
    const done = applied.get(m.version);
    if (done && done.checksum !== m.checksum) {
      throw new MigrationError(
        `${m.name} was edited after it was applied (recorded sha256 ${done.checksum.slice(0, 12)}…, file ${m.checksum.slice(0, 12)}…); put the change in a new migration`,
      );
    }
  }
  const result: MigrateResult = { applied: [], alreadyApplied: applied.size };
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    for (const [i, statement] of m.statements.entries()) {
      try {
        await ch.command(statement);
      } catch (err) {
        throw new MigrationError(`${m.name} statement ${i + 1} failed: ${errorMessage(err)}`, { cause: err });
      }
    }
    await ch.command(
      'INSERT INTO {db:Identifier}.schema_migrations (version, name, checksum) VALUES ({version:UInt32}, {name:String}, {checksum:String})',
      { version: m.version, name: m.name, checksum: m.checksum },
    );
    log.info({ migration: m.name }, 'migration applied');
    result.applied.push(m.name);
  }
  return result;
}
