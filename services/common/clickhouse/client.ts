import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '../logger.js';
import type * as ChdbConnectionModule from 'chdb/connection';
import { assertColumnType, assertIdentifier } from './identifiers.js';
import { toClickHouseError } from './errors.js';

export type QueryParams = Record<string, unknown>;

export interface Column {
  name: string;
  /** ClickHouse type as the payload encodes it, e.g. `Float64`, `Map(String, Float64)`. */
  type: string;
}

export interface InsertOptions {
  /**
   * Same token, same rows: ClickHouse keeps the first insert and drops the
   * repeats (tables need `non_replicated_deduplication_window` or replication).
   */
  dedupToken?: string;
}

/**
 * The narrow ClickHouse surface driftloop uses, identical for a server and for
 * the embedded chDB engine. Every SQL text may use `{db:Identifier}` for the
 * configured database; every value goes in `params` as `{name:Type}`.
 */
export interface ClickHouse {
  readonly backend: 'chdb' | 'server';
  readonly database: string;
  // No per-call settings: on chDB they would stay set for the whole session (a readonly = 1 once made every later
  // insert fail). A statement that needs one says so in its own SETTINGS clause, which applies to it alone.
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]>;
  /** The result as text in `format` (e.g. `CSVWithNames`): exports without a JavaScript object per row. */
  queryText(sql: string, format: 'CSVWithNames' | 'TabSeparatedWithNames' | 'JSONEachRow', params?: QueryParams): Promise<string>;
  command(sql: string, params?: QueryParams): Promise<void>;
  /** Small inserts of plain objects (control events, registry rows) as JSONEachRow. */
  insertObjects(table: string, rows: readonly object[]): Promise<void>;
  /** Bulk insert of rows already encoded as RowBinary, in `columns` order. */
  insertRowBinary(table: string, columns: readonly Column[], payload: Buffer, options?: InsertOptions): Promise<void>;
  /** Throws unless the engine answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface ClickHouseOptions {
  /** `http(s)://host:port` or `chdb:<directory>`. */
  url: string;
  database: string;
  user?: string;
  password?: string;
  /** @default 60_000 */
  requestTimeoutMs?: number;
  logger: Logger;
  /** Where the chDB backend stages binary inserts. @default /dev/shm when present, else the OS temp dir */
  spillDir?: string;
}

const TOKEN = /^[A-Za-z0-9._:/@-]{1,512}$/;

/** Creates the database if needed and returns a client bound to it. */
export async function createClickHouse(options: ClickHouseOptions): Promise<ClickHouse> {
  const database = assertIdentifier(options.database, 'CLICKHOUSE_DATABASE');
  const isChdb = options.url.startsWith('chdb:');
  const client = isChdb ? await chdbClient(options.url.slice('chdb:'.length)) : serverClient(options);
  const log = options.logger.child({ component: 'clickhouse', backend: isChdb ? 'chdb' : 'server' });
  const spillDir = join(options.spillDir ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir()), `driftloop-${process.pid}`);

  const withDb = (params?: QueryParams): QueryParams => ({ db: database, ...params });
  const call = async <T>(what: () => Promise<T>, table?: string): Promise<T> => {
    try {
      return await what();
    } catch (err) {
      throw toClickHouseError(err, table);
    }
  };

  const insertSql = (table: string, columns: readonly Column[], dedupToken?: string): string => {
    assertIdentifier(table, 'table');
    const names = columns.map((c) => assertIdentifier(c.name, 'column')).join(', ');
    if (dedupToken !== undefined && !TOKEN.test(dedupToken)) throw new Error(`invalid dedup token ${JSON.stringify(dedupToken)}`);
    // A settings value cannot be a query parameter; the token is our own, checked against TOKEN above.
    const settings = dedupToken ? ` SETTINGS insert_deduplication_token = '${dedupToken}', insert_deduplicate = 1` : '';
    return `INSERT INTO {db:Identifier}.${table} (${names})${settings}`;
  };

  const ch: ClickHouse = {
    backend: isChdb ? 'chdb' : 'server',
    database,
    async query<T>(sql: string, params?: QueryParams) {
      return call(async () => {
        const rs = await client.query({ query: sql, query_params: withDb(params), format: 'JSONEachRow' });
        return (await rs.json()) as T[];
      });
    },
    async queryText(sql, format, params) {
      return call(async () => {
        const rs = await client.query({ query: sql, query_params: withDb(params), format });
        return rs.text();
      });
    },
    async command(sql, params) {
      await call(() => client.command({ query: sql, query_params: withDb(params) }));
    },
    async insertObjects(table, rows) {
      if (rows.length === 0) return;
      assertIdentifier(table, 'table');
      await call(() => client.insert({ table: `${database}.${table}`, values: rows as object[], format: 'JSONEachRow' }), table);
    },
    async insertRowBinary(table, columns, payload, opts = {}) {
      if (payload.length === 0) return;
      const sql = insertSql(table, columns, opts.dedupToken);
      if (!isChdb) {
        await call(async () => {
          const res = await client.exec({ query: `${sql} FORMAT RowBinary`, query_params: withDb(), values: Readable.from([payload]) });
          res.stream.resume();
        }, table);
        return;
      }
      // chDB takes binary rows only from a file: stage the payload, let the engine read it.
      const structure = columns.map((c) => `${c.name} ${assertColumnType(c.type)}`).join(', ');
      const path = join(spillDir, `insert-${randomUUID()}.bin`);
      await mkdir(spillDir, { recursive: true });
      await writeFile(path, payload);
      try {
        await call(
          () =>
            client.command({
              query: `${sql} SELECT * FROM file({path:String}, 'RowBinary', {structure:String})`,
              query_params: withDb({ path, structure }),
            }),
          table,
        );
      } finally {
        await rm(path, { force: true });
      }
    },
    async ping() {
      const res = await client.ping({ select: true });
      if (!res.success) throw toClickHouseError(res.error);
    },
    async close() {
      await client.close();
      await rm(spillDir, { recursive: true, force: true });
    },
  };

  await ch.command('CREATE DATABASE IF NOT EXISTS {db:Identifier}');
  log.debug({ database }, 'clickhouse ready');
  return ch;
}

function serverClient(options: ClickHouseOptions): ClickHouseClient {
  return createClient({
    url: options.url,
    username: options.user,
    password: options.password,
    request_timeout: options.requestTimeoutMs ?? 60_000,
    clickhouse_settings: { date_time_output_format: 'iso', output_format_json_quote_64bit_integers: 0 },
  });
}

async function chdbClient(dir: string): Promise<ClickHouseClient> {
  let mod: typeof ChdbConnectionModule;
  try {
    mod = await import('chdb/connection');
  } catch (err) {
    throw new Error('CLICKHOUSE_URL=chdb:… needs the optional dependency chdb (npm install chdb)', { cause: err });
  }
  const path = resolve(dir);
  await mkdir(path, { recursive: true });
  return createClient({
    // chdb types the connection against @clickhouse/client-common, the client bundles its own copy: same shape.
    connection: mod.createChdbConnection({ path }) as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'],
    clickhouse_settings: { date_time_output_format: 'iso', output_format_json_quote_64bit_integers: 0 },
  });
}
