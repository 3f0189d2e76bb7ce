import { createHash, randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHAMPION_ALIAS, topicName } from '../../schemas/index.js';
import { ConflictError, NotFoundError, ValidationError, type ClickHouse, type Clock, type EventBus, type EventCodec, type Logger } from '../common/index.js';
import { getAlias, getVersion, listVersions, nextVersionNumber, saveAliasMove, saveVersion, type ArtifactFormat, type ModelVersion, type VersionStatus } from './store.js';

export const ALIAS = /^[a-z][a-z0-9_-]{0,63}$/;
export type RegistryAction = 'registered' | 'approved' | 'rejected' | 'alias_set' | 'alias_removed' | 'archived';

export interface RegistryDeps {
  clickhouse: ClickHouse;
  bus: EventBus;
  codec: EventCodec;
  topicPrefix: string;
  clock: Clock;
  logger: Logger;
  /** Versions' artifacts are copied to `<artifactsDir>/<model>/<version>/`. */
  artifactsDir: string;
  /** auto: a registered version is approved at once; manual: it waits for approve/reject. */
  approval: 'auto' | 'manual';
}

/** What registering a candidate needs: where its artifacts are and where it came from. */
export interface Registration {
  model: string;
  runId: string;
  dataVersion: string;
  evaluationId: string;
  cause: { kind: string; ref: string; detail?: string };
  /** name -> path (or file:// URI) of each artifact; `model` is the served model.json. */
  artifacts: Record<string, string>;
  /** sha256 of the `model` artifact as the trainer recorded it: checked after the copy. */
  modelSha256: string;
  metrics: Record<string, number>;
  tags?: Record<string, string>;
  lineage?: Record<string, string>;
}

export interface Registry {
  /** Registers a candidate as the model's next version (once per evaluation: a replay returns the version already there). */
  register(r: Registration): Promise<ModelVersion>;
  approve(model: string, version: string, actor: string, reason: string): Promise<ModelVersion>;
  reject(model: string, version: string, actor: string, reason: string): Promise<ModelVersion>;
  archive(model: string, version: string, actor: string, reason: string): Promise<ModelVersion>;
  /** Points `alias` at an approved version (recorded in the alias history, published). */
  setAlias(model: string, alias: string, version: string, actor: string, reason: string): Promise<{ version: string; previousVersion: string | null }>;
  setTags(model: string, version: string, tags: Record<string, string>, actor: string): Promise<ModelVersion>;
}

const path = (uri: string): string => (uri.startsWith('file://') ? fileURLToPath(uri) : uri);
const sha256 = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

/**
 * The model registry's operations. Every change is a new revision in
 * ClickHouse and an event on `registry-events` with its actor, reason and
 * lineage (run, data version, evaluation, the cause that started the run).
 */
export function createRegistry(deps: RegistryDeps): Registry {
  const { clickhouse: ch, clock } = deps;
  const log = deps.logger.child({ component: 'registry' });

  async function publish(v: ModelVersion, action: RegistryAction, extra: { alias?: string; previousVersion?: string | null; actor: string; reason: string }): Promise<void> {
    const event = {
      event_id: randomUUID(), model: v.model, ts: clock.now(), run_id: v.runId || null,
      cause: { kind: v.cause.kind, ref: v.cause.ref, detail: v.lineage.cause_detail ?? '' },
      version: v.version, action, alias: extra.alias ?? null, previous_version: extra.previousVersion ?? null, actor: extra.actor, reason: extra.reason, lineage: v.lineage,
    };
    const producer = await deps.bus.producer();
    await producer.send(topicName(deps.topicPrefix, 'registry-events'), [{ key: v.model, value: await deps.codec.encode('registry-events', event) }]);
  }

  async function must(model: string, version: string): Promise<ModelVersion> {
    const v = await getVersion(ch, model, version);
    if (!v) throw new NotFoundError(`version ${version} of model ${model}`);
    return v;
  }

  async function changeStatus(model: string, version: string, to: VersionStatus, from: readonly VersionStatus[], action: RegistryAction, actor: string, reason: string): Promise<ModelVersion> {
    const v = await must(model, version);
    if (!from.includes(v.status)) throw new ConflictError(`version ${version} of model ${model} is ${v.status}: it cannot be ${action} (only a ${from.join(' or ')} version can)`);
    if (to === 'rejected' || to === 'archived') {
      const serving = (await getAlias(ch, model, CHAMPION_ALIAS))?.version === version;
      if (serving) throw new ConflictError(`version ${version} of model ${model} is the champion: promote or roll back to another version first`);
    }
    const now = clock.now();
    const next: ModelVersion = { ...v, status: to, revision: Math.max(v.revision + 1, now * 1000), actor, reason, updatedAt: now };
    await saveVersion(ch, next);
    await publish(next, action, { actor, reason });
    log.info({ model, version, action, actor }, 'version changed');
    return next;
  }

  const approve = (model: string, version: string, actor: string, reason: string): Promise<ModelVersion> => changeStatus(model, version, 'approved', ['pending'], 'approved', actor, reason);

  return {
    async register(r) {
      const [existing] = (await listVersions(ch, { model: r.model, runId: r.runId })).filter((v) => v.evaluationId === r.evaluationId);
      // A replay: the version is there; finish what a crash may have cut short.
      if (existing) return deps.approval === 'auto' && existing.status === 'pending' ? approve(r.model, existing.version, 'auto-approval', 'approval is automatic (REGISTRY_APPROVAL=auto)') : existing;
      const version = await nextVersionNumber(ch, r.model);
      const dir = join(deps.artifactsDir, r.model, version);
      await mkdir(dir, { recursive: true });
      const artifacts: Record<string, string> = {};
      for (const [name, uri] of Object.entries(r.artifacts)) {
        const target = join(dir, basename(path(uri)));
        await copyFile(path(uri), target);
        artifacts[name] = target;
      }
      if (!artifacts.model) throw new ValidationError('/artifacts/model', `run ${r.runId} has no model artifact to register`);
      const body = await readFile(artifacts.model);
      const digest = sha256(body);
      if (digest !== r.modelSha256) throw new ConflictError(`the model artifact of run ${r.runId} does not match its recorded sha256 (${r.modelSha256}, found ${digest})`);
      const format: ArtifactFormat = artifacts.onnx ? 'onnx' : 'driftloop.builtin';
      const now = clock.now();
      const lineage = { run_id: r.runId, data_version: r.dataVersion, evaluation_id: r.evaluationId, cause_kind: r.cause.kind, cause_ref: r.cause.ref, ...(r.cause.detail ? { cause_detail: r.cause.detail } : {}), ...r.lineage };
      const v: ModelVersion = {
        model: r.model, version, revision: now * 1000, status: 'pending', artifactUri: artifacts.model, artifactSha256: digest, artifactFormat: format, artifacts,
        runId: r.runId, dataVersion: r.dataVersion, evaluationId: r.evaluationId, cause: { kind: r.cause.kind, ref: r.cause.ref }, lineage, metrics: r.metrics, tags: r.tags ?? {},
        actor: 'evaluator', reason: 'passed evaluation', createdAt: now, updatedAt: now,
      };
      await saveVersion(ch, v);
      await publish(v, 'registered', { actor: v.actor, reason: v.reason });
      log.info({ model: r.model, version, run_id: r.runId }, 'version registered');
      return deps.approval === 'auto' ? approve(r.model, version, 'auto-approval', 'approval is automatic (REGISTRY_APPROVAL=auto)') : v;
    },
    approve,
    reject: (model, version, actor, reason) => changeStatus(model, version, 'rejected', ['pending', 'approved'], 'rejected', actor, reason),
    archive: (model, version, actor, reason) => changeStatus(model, version, 'archived', ['pending', 'approved', 'rejected'], 'archived', actor, reason),
    async setAlias(model, alias, version, actor, reason) {
      if (!ALIAS.test(alias)) throw new ValidationError('/alias', `must match ${ALIAS.source}`);
      const v = await must(model, version);
      if (v.status !== 'approved') throw new ConflictError(`version ${version} of model ${model} is ${v.status}: only an approved version can take an alias`);
      const current = await getAlias(ch, model, alias);
      const now = clock.now();
      const previousVersion = current?.version ?? null;
      await saveAliasMove(ch, { model, alias, version, previousVersion, actor, reason, movedAt: now }, Math.max((current?.revision ?? 0) + 1, now * 1000));
      await publish(v, 'alias_set', { alias, previousVersion, actor, reason });
      log.info({ model, alias, version, previous: previousVersion, actor }, 'alias moved');
      return { version, previousVersion };
    },
    async setTags(model, version, tags, actor) {
      const v = await must(model, version);
      const now = clock.now();
      const next: ModelVersion = { ...v, tags: { ...v.tags, ...tags }, revision: Math.max(v.revision + 1, now * 1000), actor, updatedAt: now };
      await saveVersion(ch, next);
      return next;
    },
  };
}
