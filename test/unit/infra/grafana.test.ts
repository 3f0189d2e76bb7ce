import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { resolveHookAuth } from '../../../services/drift/hooks/auth.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const grafanaDir = join(root, 'infra/grafana');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
}

const files = filesUnder(grafanaDir).map((path) => ({ name: relative(grafanaDir, path), text: readFileSync(path, 'utf8') }));
const load = (name: string): unknown => {
  const file = files.find((f) => f.name === name);
  if (!file) throw new Error(`infra/grafana/${name} is missing`);
  return name.endsWith('.json') ? JSON.parse(file.text) : parse(file.text);
};

// ---------------------------------------------------------------- the ClickHouse schema

/** Columns of every table the migrations create, read from their CREATE TABLE statements. */
function schemaColumns(): Map<string, Set<string>> {
  const tables = new Map<string, Set<string>>();
  const dir = join(root, 'infra/clickhouse');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql'))) {
    const sql = readFileSync(join(dir, file), 'utf8').replace(/--.*$/gm, '');
    for (const m of sql.matchAll(/CREATE TABLE IF NOT EXISTS \{db:Identifier\}\.(\w+)\s*\(([\s\S]*?)\)\s*ENGINE/g)) {
      const columns = new Set<string>();
      for (const line of m[2]!.split('\n')) {
        const column = /^\s*(\w+)\s+\S/.exec(line)?.[1];
        if (column && !/^(INDEX|PROJECTION|CONSTRAINT)$/i.test(column)) columns.add(column);
      }
      tables.set(m[1]!, columns);
    }
  }
  return tables;
}

const schema = schemaColumns();

const KEYWORDS = new Set(
  'select from where and or not group by order asc desc limit final as interval second minute hour day week in is null distinct having join left inner on using case when then else end true false with union all'.split(' '),
);

/**
 * The tables (`driftloop.<table>`) a query reads and the names in it that are
 * neither keywords, functions, aliases, Grafana macros nor variables: the
 * columns it needs. String literals are left out.
 */
function references(sql: string): { tables: string[]; names: string[] } {
  let text = sql.replace(/'(?:[^'\\]|\\.)*'/g, "''");
  text = text.replace(/\$__\w+/g, ' ').replace(/\$\{\w+\}|\$\w+/g, ' ');
  const tables: string[] = [];
  text = text.replace(/\b(\w+)\.(\w+)\b/g, (_all, db: string, table: string) => {
    if (db === 'driftloop') tables.push(table);
    return ' ';
  });
  const aliases = new Set([...text.matchAll(/\bAS\s+(\w+)/gi)].map((m) => m[1]!));
  const names = new Set<string>();
  for (const m of text.matchAll(/\b[A-Za-z_]\w*\b/g)) {
    const name = m[0];
    const isCall = /^\s*\(/.test(text.slice(m.index + name.length));
    if (!isCall && !KEYWORDS.has(name.toLowerCase()) && !aliases.has(name)) names.add(name);
  }
  return { tables, names: [...names] };
}

/** What is wrong with a query against the schema: unknown tables, and names no table it reads has. */
function schemaProblems(sql: string): string[] {
  const { tables, names } = references(sql);
  if (tables.length === 0) return ['reads no driftloop.<table>'];
  const unknownTables = tables.filter((t) => !schema.has(t));
  if (unknownTables.length > 0) return unknownTables.map((t) => `unknown table driftloop.${t}`);
  const columns = new Set(tables.flatMap((t) => [...schema.get(t)!]));
  return names.filter((n) => !columns.has(n)).map((n) => `unknown column ${n} (tables: ${tables.join(', ')})`);
}

// ---------------------------------------------------------------- shapes read below

interface Target {
  refId: string;
  datasource: { type: string; uid: string };
  rawSql: string;
  format: number;
}
interface Panel {
  id: number;
  title: string;
  type: string;
  targets: Target[];
}
interface Dashboard {
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string; datasource?: { uid: string } }[] };
}
interface AlertQuery {
  refId: string;
  datasourceUid: string;
  model: { rawSql?: string; format?: number; type?: string; expression?: string };
}
interface AlertRule {
  uid: string;
  condition: string;
  data: AlertQuery[];
  labels: Record<string, string>;
  dashboardUid?: string;
}
interface Route {
  receiver: string;
  object_matchers?: [string, string, string][];
  routes?: Route[];
}
interface Alerting {
  apiVersion: number;
  groups: { name: string; folder: string; interval: string; rules: AlertRule[] }[];
  contactPoints: { name: string; receivers: { uid: string; type: string; settings: Record<string, unknown> }[] }[];
  policies: Route[];
}

const dashboardFiles = files.filter((f) => f.name.startsWith('dashboards/') && f.name.endsWith('.json'));
const dashboards = dashboardFiles.map((f) => load(f.name) as Dashboard);
const alerting = load('provisioning/alerting/drift-rules.yaml') as Alerting;
const datasources = load('provisioning/datasources/clickhouse.yaml') as {
  datasources: { uid: string; type: string; jsonData: Record<string, unknown>; secureJsonData: Record<string, unknown> }[];
};

describe('infra/grafana', () => {
  it('parses every dashboard and provisioning file', () => {
    expect(files.map((f) => f.name).sort()).toEqual(
      expect.arrayContaining([
        'dashboards/driftloop-drift.json',
        'provisioning/alerting/drift-rules.yaml',
        'provisioning/dashboards/driftloop.yaml',
        'provisioning/datasources/clickhouse.yaml',
      ]),
    );
    for (const f of files) {
      expect(() => load(f.name), f.name).not.toThrow();
      if (f.name.startsWith('provisioning/')) expect((load(f.name) as { apiVersion: number }).apiVersion, f.name).toBe(1);
    }
  });

  it('finds unknown tables and columns in a query (the check below is not vacuous)', () => {
    expect(schema.get('drift_reports')).toContain('dataset_drift');
    expect(schemaProblems("SELECT window_end AS time, nope FROM driftloop.drift_reports WHERE model = '${model}' AND $__timeFilter(window_end)")).toEqual([
      'unknown column nope (tables: drift_reports)',
    ]);
    expect(schemaProblems('SELECT 1 FROM driftloop.no_such_table')).toEqual(['unknown table driftloop.no_such_table']);
  });

  it.each(dashboards.flatMap((d) => d.panels.map((p) => [`${d.uid} / ${p.title}`, p] as const)))(
    'queries only tables and columns the migrations create: %s',
    (_name, panel) => {
      expect(panel.targets.length).toBeGreaterThan(0);
      for (const target of panel.targets) {
        expect(target.datasource).toEqual({ type: 'grafana-clickhouse-datasource', uid: '${DS_CLICKHOUSE}' });
        expect(schemaProblems(target.rawSql)).toEqual([]);
      }
    },
  );

  it('offers the models that have drift reports, on the ClickHouse data source', () => {
    for (const dashboard of dashboards) {
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
      const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));
      expect(variables.get('DS_CLICKHOUSE')).toMatchObject({ type: 'datasource', query: 'grafana-clickhouse-datasource' });
      const model = variables.get('model')!;
      expect(model.datasource?.uid).toBe('${DS_CLICKHOUSE}');
      expect(schemaProblems(model.query)).toEqual([]);
      expect(references(model.query).tables).toEqual(['drift_reports']);
      // Every panel is about the chosen model.
      for (const p of dashboard.panels) for (const t of p.targets) expect(t.rawSql, p.title).toContain("model = '${model}'");
    }
  });

  it('provisions the ClickHouse server of docker-compose.yml over HTTP, database driftloop', () => {
    const [ds] = datasources.datasources;
    expect(ds).toMatchObject({ uid: 'clickhouse', type: 'grafana-clickhouse-datasource' });
    expect(ds!.jsonData).toMatchObject({ host: 'clickhouse', port: 8123, protocol: 'http', defaultDatabase: 'driftloop' });
    expect(ds!.secureJsonData.password).toBe('$CLICKHOUSE_PASSWORD');
    const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string>; ports?: string[] }>;
    };
    const clickhouse = compose.services.clickhouse!;
    expect(clickhouse.environment?.CLICKHOUSE_DB).toBe('driftloop');
    expect(clickhouse.ports?.some((p) => p.endsWith(':8123'))).toBe(true);
  });

  it('loads the dashboards from the folder they are mounted at', () => {
    const provider = (load('provisioning/dashboards/driftloop.yaml') as { providers: { type: string; options: { path: string } }[] }).providers[0]!;
    expect(provider).toMatchObject({ type: 'file', options: { path: '/var/lib/grafana/dashboards' } });
  });

  it('alerts per model on dataset drift with a query the schema answers', () => {
    const rules = alerting.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      const queries = rule.data.filter((q) => q.datasourceUid === 'clickhouse');
      expect(queries.length, rule.uid).toBeGreaterThan(0);
      for (const q of queries) {
        expect(schemaProblems(q.model.rawSql!)).toEqual([]);
        // A table (format 1) whose one string column becomes the alert's `model` label.
        expect(q.model.format).toBe(1);
        expect(q.model.rawSql).toMatch(/^SELECT model,/);
      }
      expect(rule.data.map((q) => q.refId)).toContain(rule.condition);
      expect(dashboards.map((d) => d.uid)).toContain(rule.dashboardUid);
    }
  });

  it('sends the alerts to /hooks/grafana with the credentials and signature headers the hook checks', () => {
    const receivers = alerting.contactPoints.flatMap((cp) => cp.receivers.map((r) => ({ contactPoint: cp.name, ...r })));
    const hook = receivers.find((r) => r.type === 'webhook')!;
    expect(new URL(String(hook.settings.url)).pathname).toBe('/hooks/grafana');
    expect(hook.settings.authorization_scheme).toBe('Bearer');
    expect(hook.settings.authorization_credentials).toBe('$DRIFT_HOOK_TOKEN');
    const hmac = hook.settings.hmacConfig as { secret: string; header: string; timestampHeader: string };
    expect(hmac.secret).toBe('$DRIFT_HOOK_HMAC_SECRET');
    const expected = resolveHookAuth({ bearerToken: '', hmacSecret: '' });
    expect(hmac.header.toLowerCase()).toBe(expected.signatureHeader);
    expect(hmac.timestampHeader.toLowerCase()).toBe(expected.timestampHeader);

    // The notification policy routes every rule to that contact point.
    const matches = (route: Route, labels: Record<string, string>): boolean =>
      (route.object_matchers ?? []).every(([label, op, value]) => (op === '=' ? labels[label] === value : op === '!=' ? labels[label] !== value : false));
    for (const rule of alerting.groups.flatMap((g) => g.rules)) {
      const route = (alerting.policies[0]!.routes ?? []).find((r) => matches(r, rule.labels));
      expect(route?.receiver, rule.uid).toBe(hook.contactPoint);
    }
  });

  it("uses `$` in provisioning values only for Grafana's environment variables", () => {
    // Grafana expands $NAME and ${NAME} in the values of every provisioning file: a query macro
    // such as $__timeFilter there would be replaced by an empty variable (a literal `$` is `$$`).
    const strings = (value: unknown): string[] =>
      typeof value === 'string' ? [value] : value && typeof value === 'object' ? Object.values(value).flatMap(strings) : [];
    for (const f of files.filter((file) => file.name.startsWith('provisioning/'))) {
      for (const value of strings(load(f.name))) {
        for (const m of value.matchAll(/\$+\{?\w*/g)) expect(m[0], `${f.name}: ${value}`).toMatch(/^\$(\{[A-Z][A-Z0-9_]*|[A-Z][A-Z0-9_]*)$/);
      }
    }
  });
});
