import { ConfigError } from '../errors.js';
import { durationMs } from './duration.js';

/**
 * A tiny schema language for configuration read from the environment. Each
 * option names its variable, documents itself (the README table is generated
 * from these), parses and checks its value, and says what it allows, so a bad
 * value fails at start with the key and the allowed values in the message.
 */
export interface Option<T> {
  readonly env: string;
  readonly doc: string;
  /** Human description of what is allowed, used in errors and the README table. */
  readonly allowed: string;
  /** Rendered default for docs; `undefined` means the option is required. */
  readonly defaultText: string | undefined;
  readonly secret: boolean;
  read(raw: string | undefined): T;
  /** A value as the variable would spell it. */
  render(value: T): string;
}

interface BaseSpec<T> {
  env: string;
  doc: string;
  default?: T;
  /** Never logged or echoed back; shown as `<set>` / `<unset>`. */
  secret?: boolean;
}

function option<T>(spec: BaseSpec<T>, allowed: string, parse: (raw: string) => T, render: (v: T) => string): Option<T> {
  return {
    env: spec.env,
    doc: spec.doc,
    allowed,
    secret: spec.secret ?? false,
    defaultText: spec.default === undefined ? undefined : render(spec.default),
    render,
    read(raw) {
      if (raw === undefined || raw === '') {
        if (spec.default !== undefined) return spec.default;
        throw new ConfigError(spec.env, `is required (allowed: ${allowed})`);
      }
      try {
        return parse(raw.trim());
      } catch (err) {
        const shown = spec.secret ? '<secret>' : JSON.stringify(raw);
        throw new ConfigError(spec.env, `${shown} is not valid: ${(err as Error).message} (allowed: ${allowed})`);
      }
    },
  };
}

function fail(reason: string): never {
  throw new Error(reason);
}

export const opt = {
  string(spec: BaseSpec<string> & { pattern?: RegExp; allowedText?: string }): Option<string> {
    const allowed = spec.allowedText ?? (spec.pattern ? `text matching ${spec.pattern.source}` : 'any text');
    return option(spec, allowed, (raw) => (spec.pattern && !spec.pattern.test(raw) ? fail('does not match') : raw), (v) => v);
  },

  int(spec: BaseSpec<number> & { min?: number; max?: number }): Option<number> {
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = spec;
    // Options in milliseconds (…_MS) also take a duration, as `replay --from 2h` does.
    const inMs = spec.env.endsWith('_MS');
    const allowed = `an integer from ${min} to ${max}${inMs ? ' (ms), or a duration such as 30s, 5m, 1h, 2d' : ''}`;
    return option(
      spec,
      allowed,
      (raw) => {
        const n = (inMs ? durationMs(raw) : undefined) ?? Number(raw);
        if (!Number.isInteger(n)) fail('not an integer');
        if (n < min || n > max) fail('out of range');
        return n;
      },
      String,
    );
  },

  number(spec: BaseSpec<number> & { min?: number; max?: number }): Option<number> {
    const { min = -Infinity, max = Infinity } = spec;
    return option(
      spec,
      `a number from ${min} to ${max}`,
      (raw) => {
        const n = Number(raw);
        if (!Number.isFinite(n)) fail('not a number');
        if (n < min || n > max) fail('out of range');
        return n;
      },
      String,
    );
  },

  bool(spec: BaseSpec<boolean>): Option<boolean> {
    return option(
      spec,
      'true or false',
      (raw) => {
        const v = raw.toLowerCase();
        if (['true', '1', 'yes'].includes(v)) return true;
        if (['false', '0', 'no'].includes(v)) return false;
        return fail('not a boolean');
      },
      String,
    );
  },

  enum<const V extends string>(spec: BaseSpec<V> & { values: readonly V[] }): Option<V> {
    return option(
      spec,
      `one of ${spec.values.join(', ')}`,
      (raw) => ((spec.values as readonly string[]).includes(raw) ? (raw as V) : fail('not one of the allowed values')),
      (v) => v,
    );
  },

  /** A URL whose scheme is one of `schemes`, e.g. `http:` and `https:`. */
  url(spec: BaseSpec<string> & { schemes: readonly string[] }): Option<string> {
    return option(
      spec,
      `a URL starting with ${spec.schemes.map((s) => `${s}//`).join(' or ')}`,
      (raw) => {
        const url = new URL(raw);
        return spec.schemes.includes(url.protocol) ? raw : fail(`scheme ${url.protocol} not allowed`);
      },
      (v) => v,
    );
  },

  /** Comma-separated list. */
  list(spec: BaseSpec<readonly string[]> & { item?: RegExp }): Option<readonly string[]> {
    return option(
      spec,
      spec.item ? `comma-separated values matching ${spec.item.source}` : 'comma-separated values',
      (raw) => {
        const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
        for (const item of items) if (spec.item && !spec.item.test(item)) fail(`${JSON.stringify(item)} does not match`);
        return Object.freeze(items);
      },
      (v) => v.join(','),
    );
  },
};

export type ConfigSchema = Record<string, Option<unknown>>;
export type ConfigOf<S extends ConfigSchema> = { readonly [K in keyof S]: S[K] extends Option<infer T> ? T : never };

/**
 * Reads every option of `schema` from `env` once, reporting every bad key
 * together, and returns a frozen object.
 */
export function loadConfig<S extends ConfigSchema>(schema: S, env: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  const errors: ConfigError[] = [];
  for (const [name, o] of Object.entries(schema)) {
    try {
      out[name] = o.read(env[o.env]);
    } catch (err) {
      if (err instanceof ConfigError) errors.push(err);
      else throw err;
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new ConfigError(errors.map((e) => e.key).join(', '), errors.map((e) => e.message).join('; '));
  }
  return Object.freeze(out) as ConfigOf<S>;
}

/** The configuration as safe to log: secrets replaced by `<set>` or `<unset>`. */
export function redactConfig<S extends ConfigSchema>(schema: S, config: ConfigOf<S>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(schema)) {
    const v = (config as Record<string, unknown>)[name];
    out[name] = o.secret ? (v ? '<set>' : '<unset>') : v;
  }
  return out;
}
