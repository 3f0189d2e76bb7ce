import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/common/index.js';
import { OPTION_GROUPS } from '../../../services/cli/commands/config.js';
import { SERVICE_NAMES } from '../../../services/cli/services.js';

interface Container {
  args: string[];
  env?: { name: string; value: string }[];
  livenessProbe?: { httpGet?: { path: string } };
  readinessProbe?: { httpGet?: { path: string } };
  resources?: { limits?: Record<string, unknown> };
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: { template?: { spec: { containers: Container[] } } };
}

const read = (file: string): Manifest[] =>
  parseAllDocuments(readFileSync(fileURLToPath(new URL(`../../../infra/k8s/${file}`, import.meta.url)), 'utf8')).map((d) => {
    expect(d.errors, file).toEqual([]);
    return d.toJS() as Manifest;
  });

const known = new Set(Object.values(OPTION_GROUPS).flatMap((g) => Object.values(g).map((o) => o.env)));

describe('Kubernetes manifests', () => {
  const docs = read('driftloop.yaml');
  const config = docs.find((d) => d.kind === 'ConfigMap')!.data!;
  const deployments = docs.filter((d) => d.kind === 'Deployment');

  it('run every service from the one image, probed on /healthz and /readyz', () => {
    expect(deployments.map((d) => d.metadata.name.replace(/^driftloop-/, '')).filter((n) => n !== 'trainer-gpu').sort()).toEqual([...SERVICE_NAMES].sort());
    for (const d of deployments) {
      const [c] = d.spec!.template!.spec.containers;
      expect(c!.args, d.metadata.name).toEqual(['run', d.metadata.name.replace(/^driftloop-/, '').replace(/-gpu$/, '')]);
      expect(c!.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect(c!.readinessProbe?.httpGet?.path).toBe('/readyz');
      expect(docs.some((s) => s.kind === 'Service' && s.metadata.name === d.metadata.name)).toBe(true);
    }
  });

  it('set only variables the config schema knows, with values it accepts', () => {
    for (const d of deployments) {
      const env = { ...config, ...Object.fromEntries((d.spec!.template!.spec.containers[0]!.env ?? []).map((e) => [e.name, e.value])) };
      for (const key of Object.keys(env)) expect(known.has(key), `${d.metadata.name}: ${key}`).toBe(true);
      for (const group of Object.values(OPTION_GROUPS)) expect(() => loadConfig(group, env), d.metadata.name).not.toThrow();
    }
  });

  it('give the GPU trainer and the trial Job an nvidia.com/gpu', () => {
    const gpu = deployments.find((d) => d.metadata.name === 'driftloop-trainer-gpu')!;
    expect(gpu.spec!.template!.spec.containers[0]!.resources?.limits?.['nvidia.com/gpu']).toBe(1);
    const job = read('trainer-job.yaml').find((d) => d.kind === 'Job')!;
    expect(JSON.stringify(job)).toContain('"nvidia.com/gpu":1');
  });

  it('mount only volume claims the manifests create: the trial Job shares the services\' volume', () => {
    const claims = (text: string): string[] => [...text.matchAll(/claimName:\s*([\w-]+)/g)].map((m) => m[1]!);
    const created = new Set(docs.filter((d) => d.kind === 'PersistentVolumeClaim').map((d) => d.metadata.name));
    const file = (name: string): string => readFileSync(fileURLToPath(new URL(`../../../infra/k8s/${name}`, import.meta.url)), 'utf8');
    const mounted = [...claims(file('driftloop.yaml')), ...claims(file('trainer-job.yaml'))];
    expect(mounted.length).toBeGreaterThan(1);
    for (const claim of mounted) expect(created.has(claim), claim).toBe(true);
  });
});

describe('the image', () => {
  const dockerfile = readFileSync(fileURLToPath(new URL('../../../Dockerfile', import.meta.url)), 'utf8');

  it('creates /data for the user it runs as, and records the commit it was built from', () => {
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'), dockerfile.indexOf('AS trainer-gpu'));
    expect(runtime.indexOf('chown node:node /data')).toBeGreaterThan(-1);
    expect(runtime.indexOf('chown node:node /data')).toBeLessThan(runtime.indexOf('USER node'));
    for (const stage of dockerfile.split(/^FROM /m).filter((s) => /AS (runtime|trainer-gpu)/.test(s))) {
      expect(stage).toMatch(/^ARG DRIFTLOOP_CODE_VERSION=unknown$/m);
      expect(stage).toMatch(/^ENV .*DRIFTLOOP_CODE_VERSION=\$DRIFTLOOP_CODE_VERSION/m);
    }
  });
});
