import type { JsonSchema } from './json-schema.js';
import { numberRangeProblem, sizeRangeProblem } from './json-bounds.js';
import { jsonEqual, stableStringify } from './stable-json.js';

/**
 * JSON Schema compatibility, conservative: `jsonReadProblems(reader, writer)`
 * is empty only when every document the writer's schema accepts is provably
 * accepted by the reader's schema. BACKWARD checks (new as reader, old as
 * writer), FORWARD the reverse, FULL both.
 *
 * Understood: type (integer within number), enum/const, required,
 * properties with additionalProperties (an open writer lets any value sit in
 * a property the reader now constrains; a closed reader rejects properties
 * the writer allows), minimum/maximum/exclusive*, multipleOf, min/max
 * Length/Items/Properties, pattern, format, uniqueItems, items (single
 * schema), anyOf (each writer branch covered by a reader branch), allOf in
 * the reader (every branch must cover the writer), local `$ref`s (resolved in
 * their document, recursion assumed compatible on a revisit). Annotations
 * (title, description, default, examples, …) are ignored. Any other keyword
 * (oneOf, not, if/then/else, patternProperties, tuple items, dependencies,
 * remote `$ref`, …) must be unchanged, else the change is reported as
 * incompatible: when in doubt this says no.
 */
export function jsonReadProblems(reader: JsonSchema, writer: JsonSchema): string[] {
  const ctx: Ctx = { readerRoot: reader, writerRoot: writer, sameRoots: jsonEqual(reader, writer), ids: new WeakMap(), nextId: 0, derived: new WeakMap(), active: new Set() };
  return covers(ctx, reader, writer, '#');
}

type Obj = Record<string, unknown>;

interface Ctx {
  readerRoot: JsonSchema;
  writerRoot: JsonSchema;
  sameRoots: boolean;
  ids: WeakMap<object, number>;
  nextId: number;
  derived: WeakMap<object, Map<string, JsonSchema>>;
  /** Pairs being compared further up the stack: a revisit is a recursive schema, assumed compatible. */
  active: Set<string>;
}

const ANNOTATIONS = new Set([
  'title', 'description', '$comment', 'examples', 'default', 'deprecated', 'readOnly', 'writeOnly',
  '$id', 'id', '$schema', '$anchor', '$defs', 'definitions', 'contentMediaType', 'contentEncoding',
]);
/** Keywords compared by a rule below; anything else must be unchanged. */
const HANDLED = new Set([
  'type', 'enum', 'const', 'required', 'properties', 'additionalProperties', 'minimum', 'maximum',
  'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength', 'minItems', 'maxItems',
  'minProperties', 'maxProperties', 'pattern', 'format', 'uniqueItems', 'items', 'anyOf', 'allOf', '$ref',
]);
/** Nesting beyond this is a schema built to exhaust the checker, not data. */
const MAX_DEPTH = 256;
const TYPES = ['null', 'boolean', 'object', 'array', 'number', 'integer', 'string'];

const isObj = (s: unknown): s is Obj => typeof s === 'object' && s !== null && !Array.isArray(s);
const asObj = (s: JsonSchema): Obj => (s === true ? {} : isObj(s) ? s : {});
const constraints = (s: Obj): string[] => Object.keys(s).filter((k) => !ANNOTATIONS.has(k));
const without = (s: Obj, key: string): Obj => Object.fromEntries(Object.entries(s).filter(([k]) => k !== key));

function covers(ctx: Ctx, reader: JsonSchema, writer: JsonSchema, path: string): string[] {
  if (writer === false || reader === true) return [];
  if (reader === false) return [`${path}: the reader accepts nothing, the writer accepts values`];
  const r = asObj(reader);
  const w = asObj(writer);
  if (constraints(r).length === 0) return [];
  // Equal text is equal meaning unless a local $ref inside points into documents that differ.
  if (jsonEqual(strip(r), strip(w)) && (ctx.sameRoots || !stableStringify(r).includes('"$ref"'))) return [];

  const key = `${id(ctx, r)}:${id(ctx, w)}`;
  if (ctx.active.has(key)) return [];
  if (ctx.active.size > MAX_DEPTH) return [`${path}: nested too deep for the registry to prove compatibility`];
  ctx.active.add(key);
  try {
    return coversObjects(ctx, r, w, path);
  } finally {
    ctx.active.delete(key);
  }
}

function coversObjects(ctx: Ctx, r: Obj, w: Obj, path: string): string[] {
  if (typeof r.$ref === 'string') {
    const target = resolveLocal(ctx.readerRoot, r.$ref);
    // The reader is the intersection of its $ref and its siblings: the writer must fit both.
    if (target !== undefined) return [...covers(ctx, target, w, path), ...covers(ctx, derived(ctx, r, '$ref', () => without(r, '$ref')), w, path)];
    if (r.$ref !== w.$ref) return [`${path}: $ref ${JSON.stringify(r.$ref)} is not a local reference the registry can follow; it must stay unchanged`];
  }
  if (typeof w.$ref === 'string') {
    const target = resolveLocal(ctx.writerRoot, w.$ref);
    if (target !== undefined) return covers(ctx, r, derived(ctx, w, '$ref', () => narrow(without(w, '$ref'), target)), path);
  }
  if (Array.isArray(w.anyOf) && !jsonEqual(r.anyOf, w.anyOf)) {
    // The writer accepts the union of its branches, each narrowed by its siblings: each must fit the reader.
    const rest = derived(ctx, w, 'anyOf', () => without(w, 'anyOf')) as Obj;
    return (w.anyOf as JsonSchema[]).flatMap((b, i) =>
      covers(ctx, r, isObj(b) ? derived(ctx, b, 'branch', () => narrow(rest, b)) : b, `${path}/anyOf/${i}`),
    );
  }
  const problems: string[] = [];
  if (Array.isArray(r.anyOf) && !jsonEqual(r.anyOf, w.anyOf)) {
    if (!(r.anyOf as JsonSchema[]).some((b) => covers(ctx, b, w, path).length === 0)) {
      problems.push(`${path}/anyOf: no branch of the reader's anyOf accepts everything the writer accepts`);
    }
  }
  if (Array.isArray(r.allOf) && !jsonEqual(r.allOf, w.allOf)) {
    (r.allOf as JsonSchema[]).forEach((b, i) => problems.push(...covers(ctx, b, w, `${path}/allOf/${i}`)));
  }
  problems.push(...typeProblems(r, w, path), ...valueProblems(r, w, path));
  const can = writerTypes(w);
  if (can.has('number') || can.has('integer')) pushIf(problems, path, numberRangeProblem(r, w));
  if (can.has('string')) stringProblems(r, w, path, problems);
  if (can.has('array')) arrayProblems(ctx, r, w, path, problems);
  if (can.has('object')) problems.push(...objectProblems(ctx, r, w, path));
  for (const k of constraints(r)) {
    if (!HANDLED.has(k) && !jsonEqual(r[k], w[k])) problems.push(`${path}: keyword "${k}" differs; the registry cannot prove the change compatible`);
  }
  return problems;
}

/**
 * A schema accepting at least the intersection of `rest` and `part`: their
 * keywords merged when disjoint (keywords are conjunctions), else `part`
 * alone. Wider than the true intersection is safe here (the writer side).
 */
function narrow(rest: Obj, part: JsonSchema): JsonSchema {
  if (!isObj(part) || constraints(rest).length === 0) return part;
  return Object.keys(part).some((k) => k in rest) ? part : { ...rest, ...part };
}

/** Builds a derived schema once per source object, so recursion through it is still recognised. */
function derived(ctx: Ctx, source: object, tag: string, build: () => JsonSchema): JsonSchema {
  let byTag = ctx.derived.get(source);
  if (!byTag) ctx.derived.set(source, (byTag = new Map()));
  let value = byTag.get(tag);
  if (value === undefined) byTag.set(tag, (value = build()));
  return value;
}

function typeProblems(r: Obj, w: Obj, path: string): string[] {
  if (r.type === undefined) return [];
  const rTypes = typeList(r.type);
  const missing = [...writerTypes(w)].filter((t) => !rTypes.includes(t) && !(t === 'integer' && rTypes.includes('number')));
  return missing.length === 0 ? [] : [`${path}: the reader does not accept type ${missing.join(', ')}, which the writer allows`];
}

function valueProblems(r: Obj, w: Obj, path: string): string[] {
  const rValues = r.const !== undefined ? [r.const] : Array.isArray(r.enum) ? r.enum : undefined;
  if (!rValues) return [];
  const wValues = w.const !== undefined ? [w.const] : Array.isArray(w.enum) ? w.enum : undefined;
  if (!wValues) return [`${path}: the reader allows only ${JSON.stringify(rValues)}, the writer any value`];
  const lost = wValues.filter((v) => !rValues.some((x) => jsonEqual(x, v)));
  return lost.length === 0 ? [] : [`${path}: the reader does not allow ${lost.map((v) => JSON.stringify(v)).join(', ')}, which the writer allows`];
}

function stringProblems(r: Obj, w: Obj, path: string, problems: string[]): void {
  pushIf(problems, path, sizeRangeProblem(r, w, 'minLength', 'maxLength'));
  if (r.pattern !== undefined && r.pattern !== w.pattern) problems.push(`${path}: the reader requires pattern ${JSON.stringify(r.pattern)}, the writer ${w.pattern === undefined ? 'none' : JSON.stringify(w.pattern)}`);
  if (r.format !== undefined && r.format !== w.format) problems.push(`${path}: the reader requires format ${JSON.stringify(r.format)}, the writer ${w.format === undefined ? 'none' : JSON.stringify(w.format)}`);
}

function arrayProblems(ctx: Ctx, r: Obj, w: Obj, path: string, problems: string[]): void {
  pushIf(problems, path, sizeRangeProblem(r, w, 'minItems', 'maxItems'));
  if (r.uniqueItems === true && w.uniqueItems !== true) problems.push(`${path}: the reader requires unique items, the writer does not`);
  if (Array.isArray(r.items) || Array.isArray(w.items)) {
    if (!jsonEqual(r.items, w.items)) problems.push(`${path}/items: tuple items changed; the registry cannot prove the change compatible`);
  } else {
    problems.push(...covers(ctx, (r.items ?? true) as JsonSchema, (w.items ?? true) as JsonSchema, `${path}/items`));
  }
}

function objectProblems(ctx: Ctx, r: Obj, w: Obj, path: string): string[] {
  const problems: string[] = [];
  pushIf(problems, path, sizeRangeProblem(r, w, 'minProperties', 'maxProperties'));
  const wRequired = new Set(Array.isArray(w.required) ? (w.required as string[]) : []);
  for (const name of Array.isArray(r.required) ? (r.required as string[]) : []) {
    if (!wRequired.has(name)) problems.push(`${path}: property "${name}" is required by the reader but optional for the writer`);
  }
  const rProps = isObj(r.properties) ? (r.properties as Record<string, JsonSchema>) : {};
  const wProps = isObj(w.properties) ? (w.properties as Record<string, JsonSchema>) : {};
  const rAdditional = (r.additionalProperties ?? true) as JsonSchema;
  const wAdditional = (w.additionalProperties ?? true) as JsonSchema;
  for (const name of new Set([...Object.keys(rProps), ...Object.keys(wProps)])) {
    const inWriter = name in wProps;
    if (!inWriter && wAdditional === false) continue;
    const found = covers(ctx, rProps[name] ?? rAdditional, wProps[name] ?? wAdditional, `${path}/properties/${name}`);
    if (found.length === 0) continue;
    if (!(name in rProps)) problems.push(`${path}: property "${name}" is allowed by the writer but not by the reader's additionalProperties`);
    else if (!inWriter) problems.push(`${path}: property "${name}" was added to an open content model: writer data may hold any value there`);
    else problems.push(...found);
  }
  if (rAdditional !== true) {
    if (wAdditional === true && rAdditional === false) problems.push(`${path}: the reader closes additionalProperties, the writer allows additional properties`);
    else problems.push(...covers(ctx, rAdditional, wAdditional, `${path}/additionalProperties`));
  }
  return problems;
}

/** Types the writer can produce; all of them when it says nothing (or infers from enum/const). */
function writerTypes(w: Obj): Set<string> {
  if (w.type !== undefined) return new Set(typeList(w.type));
  const values = w.const !== undefined ? [w.const] : Array.isArray(w.enum) ? w.enum : undefined;
  if (!values) return new Set(TYPES);
  return new Set(values.map(jsonType));
}

const typeList = (t: unknown): string[] => (Array.isArray(t) ? t.map(String) : [String(t)]);

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function strip(s: Obj): Obj {
  return Object.fromEntries(Object.entries(s).filter(([k]) => !ANNOTATIONS.has(k)));
}

function pushIf(problems: string[], path: string, problem: string | null): void {
  if (problem) problems.push(`${path}: ${problem}`);
}

function id(ctx: Ctx, o: object): number {
  let n = ctx.ids.get(o);
  if (n === undefined) ctx.ids.set(o, (n = ctx.nextId++));
  return n;
}

/** Follows a `#/…` JSON pointer inside `root`; undefined for remote or dangling refs. */
function resolveLocal(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObj(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'boolean' || isObj(node) ? (node as JsonSchema) : undefined;
}
