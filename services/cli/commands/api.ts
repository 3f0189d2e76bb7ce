/**
 * What the CLI's API commands share: calling a running driftloop over HTTP,
 * the admin token, and plain-text tables.
 */
import { stringify } from 'yaml';
import { ConfigError } from '../../common/index.js';

/** How a command prints what it got: a table (or a line) for people, JSON or YAML for scripts. */
export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface ApiOptions {
  /** Base URL of a running driftloop. */
  url: string;
  /** Bearer token for admin endpoints (reproduce). */
  token?: string;
  /** `-o`, or `--json` for json. */
  output: OutputFormat;
}

/** Prints `value` as JSON or YAML when the output asks for it, and says whether it did (else the caller prints for people). */
export function printed(options: Pick<ApiOptions, 'output'>, value: unknown): boolean {
  if (options.output === 'table') return false;
  process.stdout.write(options.output === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value));
  return true;
}

/** A driftloop that answered with an error status: the CLI exits 3 for a 404 (not found), 1 otherwise. */
export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/** No driftloop answered at the URL: the CLI exits 4. */
export class UnreachableError extends Error {}

export async function call<T>(options: ApiOptions, path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, options.url), init);
  } catch (err) {
    throw new UnreachableError(`cannot reach driftloop at ${options.url} (${(err as Error).message}); is it running? (--url or DRIFTLOOP_URL)`);
  }
  const body = (await res.json().catch(() => ({}))) as T & { message?: string };
  if (!res.ok) throw new ApiError(`${init.method ?? 'GET'} ${path}: ${res.status} ${body.message ?? res.statusText}`, res.status);
  return body;
}

/** The CLI's exit code for an error: 2 usage or configuration, 3 not found, 4 unreachable, 1 anything else. */
export function exitCodeOf(err: unknown, usage: boolean): number {
  if (usage) return 2;
  if (err instanceof UnreachableError) return 4;
  if (err instanceof ApiError && err.status === 404) return 3;
  return 1;
}

/** Columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) => r.map((c, i) => (c ?? '').padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** ISO-8601 in UTC, to the second, with its zone: 2026-04-01T01:40:00Z. */
export const time = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;
export const num = (v: number | null | undefined): string => (v === null || v === undefined ? '' : Number.isInteger(v) ? String(v) : v.toPrecision(5));
export const metricsText = (m: Record<string, number>): string => Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${num(v)}`).join(' ');

/** The admin bearer header, or a config error naming the token when none is set. */
export function adminHeaders(options: ApiOptions, what: string): Record<string, string> {
  if (!options.token) throw new ConfigError('DRIFTLOOP_ADMIN_TOKEN', `${what} is an admin endpoint: set the admin token (or pass --token)`);
  return { authorization: `Bearer ${options.token}` };
}
