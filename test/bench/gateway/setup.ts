import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRuntime, type Runtime } from '../../../services/cli/runtime.js';
import { SERVICES, registerServiceRoutes, type RunnableService, type ServiceName } from '../../../services/cli/services.js';
import { commonOptions, loadConfig, silentLogger } from '../../../services/common/index.js';
import type { GatewayService } from '../../../services/gateway/index.js';
import { findTorchPython } from '../../../services/trainer/index.js';
import { tempDir } from '../../support/index.js';
import { insertVersion, setAlias, upsertRollout } from '../../support/release-data.js';
import { sha256, trainTinyModel, trainTorchModel, writeArtifact } from '../../support/served-models.js';

/** The network every scenario serves: the PyTorch trainer's MLP, as model.json (builtin predictor) and as model.onnx. */
export const HIDDEN = [64, 32];

export interface BenchGateway {
  runtime: Runtime;
  gateway: GatewayService;
  /** Model names by scenario; ONNX ones are absent without torch. */
  models: { builtin: string; builtinShadow: string; onnx?: string; onnxShadow?: string };
  /** model.json and model.onnx of the network. */
  files: { json: string; onnx?: string };
  close(): Promise<void>;
}

/**
 * `driftloop run gateway` in this process, on the embedded Kafka and a fresh
 * chDB, serving the same network four ways: builtin and ONNX, each with and
 * without a shadow version (the same artifacts under a second version).
 */
export async function startBenchGateway(env: Record<string, string> = {}): Promise<BenchGateway> {
  const python = await findTorchPython(process.env.TRAINER_PYTHON ?? 'auto');
  const dir = await tempDir('driftloop-gateway-bench-');
  const trained = python ? await trainTorchModel(dir, python, { rows: 4000, hidden: HIDDEN, epochs: 3 }) : undefined;
  let json = trained?.json;
  // Without torch: a builtin model of the same shape, and no ONNX scenarios.
  json ??= (await writeArtifact(dir, await trainTinyModel(1, { hidden: HIDDEN }))).path;
  const jsonSha = sha256(await readFile(json));

  const fullEnv = { CLICKHOUSE_URL: `chdb:${join(dir, 'ch')}`, HTTP_PORT: '0', LOG_LEVEL: 'silent', GATEWAY_PLAN_REFRESH_MS: '600000', ...env };
  const config = loadConfig(commonOptions, fullEnv);
  const running = new Map<ServiceName, RunnableService>();
  const runtime = await startRuntime(config, silentLogger(), { routes: [(app, shared) => registerServiceRoutes('gateway', app, { config, env: fullEnv, ...shared }, running)] });
  const gateway = (await SERVICES.gateway.build(runtime, fullEnv, (err) => { throw err; })) as GatewayService;
  await gateway.start();
  running.set('gateway', gateway);

  const ch = runtime.clickhouse;
  const seed = async (model: string, format: 'driftloop.builtin' | 'onnx', shadow: boolean): Promise<string> => {
    const artifacts: Record<string, string> = format === 'onnx' ? { model: json, onnx: trained!.onnx } : { model: json };
    for (const version of shadow ? ['1', '2'] : ['1']) await insertVersion(ch, { model, version, artifactUri: json, sha256: jsonSha, format, artifacts });
    await setAlias(ch, model, '1');
    if (shadow) await upsertRollout(ch, { model, version: '2', phase: 'shadow' });
    return model;
  };
  const models: BenchGateway['models'] = { builtin: await seed('builtin', 'driftloop.builtin', false), builtinShadow: await seed('builtin-shadow', 'driftloop.builtin', true) };
  if (trained) {
    models.onnx = await seed('onnx', 'onnx', false);
    models.onnxShadow = await seed('onnx-shadow', 'onnx', true);
  }
  await gateway.refresh();
  return {
    runtime,
    gateway,
    models,
    files: { json, onnx: trained?.onnx },
    async close() {
      await gateway.stop();
      await runtime.close();
    },
  };
}
