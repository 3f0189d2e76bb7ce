import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { SchemaRegistryError } from '../common/errors.js';
import { requireBasicAuth, requireWriteToken, type BasicAuthCredentials, type RegistryWriteAuth } from './auth.js';
import { registryErrors } from './errors.js';
import type { SchemaRegistry } from './registry.js';
import { SCHEMA_TYPES } from './types.js';
import { parseVersionId } from './version-id.js';

/** The media type Confluent's REST API speaks (and its clients send). */
export const REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const BODY_TYPES = [REGISTRY_CONTENT_TYPE, 'application/vnd.schemaregistry+json', 'application/octet-stream'];
const BASIC_CHALLENGE = 'Basic realm="SchemaRegistry"';

export interface RegistryRoutesOptions {
  registry: SchemaRegistry;
  /** Basic auth on every route when given; `writeAuth` is then not consulted. */
  auth?: BasicAuthCredentials;
  /** Who may call the write routes when `auth` is not given (reads stay open). */
  writeAuth: RegistryWriteAuth;
  /** Larger request bodies get 413. */
  bodyLimitBytes: number;
}

type Query = Record<string, string | undefined>;
type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Query }>;

const flag = (q: Query, name: string): boolean => q[name] === 'true';

/**
 * The Confluent Schema Registry REST subset, as a fastify plugin. Register it
 * without fastify-plugin so its error handler, body parsers and auth hook
 * stay inside it: errors here answer `{ error_code, message }` while the rest
 * of a shared server keeps driftloop's format.
 */
export function registryRoutes(options: RegistryRoutesOptions) {
  const { registry, bodyLimitBytes } = options;
  const withBody = { bodyLimit: bodyLimitBytes };
  // Route-level onRequest: refused before the body is read. Basic auth, when set, already guards every route.
  const write: RouteShorthandOptions = options.auth || options.writeAuth === 'open' ? {} : { onRequest: requireWriteToken(options.writeAuth.tokens) };
  const writeWithBody: RouteShorthandOptions = { ...withBody, ...write };

  return async function schemaRegistryRoutes(app: FastifyInstance): Promise<void> {
    for (const type of BODY_TYPES) {
      if (!app.hasContentTypeParser(type)) app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: bodyLimitBytes }, parseJsonBody);
    }
    app.addHook('onRequest', async (_req, reply) => void reply.type(REGISTRY_CONTENT_TYPE));
    if (options.auth) app.addHook('onRequest', requireBasicAuth(options.auth));
    app.setErrorHandler((err: FastifyError | SchemaRegistryError, req, reply) => {
      void reply.type(REGISTRY_CONTENT_TYPE);
      if (err instanceof SchemaRegistryError) {
        if (err.statusCode >= 500) req.log.error({ err }, 'schema registry request failed');
        if (err.statusCode === 401) void reply.header('www-authenticate', err.registryCode === 401 ? BASIC_CHALLENGE : `${BASIC_CHALLENGE}, Bearer realm="SchemaRegistry"`);
        return reply.status(err.statusCode).send({ error_code: err.registryCode, message: err.message });
      }
      const status = (err as FastifyError).statusCode ?? 500;
      if (status === 413) return reply.status(413).send({ error_code: 413, message: `Request body larger than ${bodyLimitBytes} bytes` });
      if (status >= 400 && status < 500) return reply.status(status).send({ error_code: status, message: err.message });
      req.log.error({ err }, 'schema registry request failed');
      return reply.status(500).send({ error_code: 500, message: 'Internal Server Error' });
    });

    // Subjects and versions.
    app.get('/subjects', async (req: Req) =>
      registry.subjects({ deleted: flag(req.query, 'deleted'), deletedOnly: flag(req.query, 'deletedOnly'), prefix: subjectPrefix(req.query.subjectPrefix) }),
    );
    app.post('/subjects/:subject', withBody, async (req: Req) =>
      registry.lookup(req.params.subject!, req.body, { normalize: flag(req.query, 'normalize'), deleted: flag(req.query, 'deleted') }),
    );
    app.delete('/subjects/:subject', write, async (req: Req) => registry.deleteSubject(req.params.subject!, flag(req.query, 'permanent')));
    app.get('/subjects/:subject/versions', async (req: Req) =>
      registry.versions(req.params.subject!, { deleted: flag(req.query, 'deleted'), deletedOnly: flag(req.query, 'deletedOnly') }),
    );
    app.post('/subjects/:subject/versions', writeWithBody, async (req: Req) =>
      registry.register(req.params.subject!, req.body, { normalize: flag(req.query, 'normalize') }),
    );
    app.get('/subjects/:subject/versions/:version', async (req: Req) =>
      registry.version(req.params.subject!, parseVersionId(req.params.version!), { deleted: flag(req.query, 'deleted') }),
    );
    app.get('/subjects/:subject/versions/:version/schema', async (req: Req, reply: FastifyReply) =>
      reply.send(registry.version(req.params.subject!, parseVersionId(req.params.version!), { deleted: flag(req.query, 'deleted') }).schema),
    );
    app.get('/subjects/:subject/versions/:version/referencedby', async (req: Req) =>
      registry.referencedBy(req.params.subject!, parseVersionId(req.params.version!)),
    );
    app.get('/subjects/:subject/metadata', async (req: Req) =>
      registry.latestWithMetadata(req.params.subject!, metadataQuery(req.query), { deleted: flag(req.query, 'deleted') }),
    );
    app.delete('/subjects/:subject/versions/:version', write, async (req: Req) =>
      registry.deleteVersion(req.params.subject!, parseVersionId(req.params.version!), flag(req.query, 'permanent')),
    );

    // Schemas by id.
    app.get('/schemas/types', async () => [...SCHEMA_TYPES]);
    app.get('/schemas/ids/:id', async (req: Req) => registry.schemaById(schemaId(req.params.id!)));
    app.get('/schemas/ids/:id/schema', async (req: Req, reply: FastifyReply) => reply.send(registry.schemaById(schemaId(req.params.id!)).schema));
    app.get('/schemas/ids/:id/versions', async (req: Req) => registry.usesOfSchema(schemaId(req.params.id!), { deleted: flag(req.query, 'deleted') }));
    app.get('/schemas/ids/:id/subjects', async (req: Req) => [
      ...new Set(registry.usesOfSchema(schemaId(req.params.id!), { deleted: flag(req.query, 'deleted') }).map((u) => u.subject)),
    ]);
    app.get('/schemas/guids/:guid', async (req: Req) => registry.schemaByGuid(req.params.guid!));

    // Compatibility checks.
    const compatibility = (req: Req, version: ReturnType<typeof parseVersionId> | 'all') => {
      const messages = registry.testCompatibility(req.params.subject!, version, req.body, { normalize: flag(req.query, 'normalize') });
      return { is_compatible: messages.length === 0, ...(flag(req.query, 'verbose') ? { messages } : {}) };
    };
    app.post('/compatibility/subjects/:subject/versions/:version', withBody, async (req: Req) => compatibility(req, parseVersionId(req.params.version!)));
    app.post('/compatibility/subjects/:subject/versions', withBody, async (req: Req) => compatibility(req, 'all'));

    // Compatibility levels.
    app.get('/config', async () => ({ compatibilityLevel: registry.getCompatibility() }));
    app.put('/config', writeWithBody, async (req: Req) => ({ compatibility: await registry.setCompatibility(undefined, levelFrom(req.body)) }));
    app.delete('/config', write, async () => ({ compatibilityLevel: await registry.deleteCompatibility() }));
    app.get('/config/:subject', async (req: Req) => ({
      compatibilityLevel: registry.getCompatibility(req.params.subject!, { defaultToGlobal: flag(req.query, 'defaultToGlobal') }),
    }));
    app.put('/config/:subject', writeWithBody, async (req: Req) => ({ compatibility: await registry.setCompatibility(req.params.subject!, levelFrom(req.body)) }));
    app.delete('/config/:subject', write, async (req: Req) => ({ compatibilityLevel: await registry.deleteCompatibility(req.params.subject!) }));

    // Read-only answers some tools and client versions ask for.
    app.get('/mode', async () => ({ mode: 'READWRITE' }));
    // The Confluent serdes' default subject-name strategy asks which subject a topic is associated with; none are: it falls back to <topic>-value.
    app.get('/associations/resources/:namespace/:name', async () => []);
  };
}

function parseJsonBody(_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void {
  const text = body.toString();
  if (text.trim() === '') return done(null, undefined);
  try {
    done(null, JSON.parse(text));
  } catch (err) {
    done(Object.assign(new Error(`Invalid JSON body: ${(err as Error).message}`), { statusCode: 400 }));
  }
}

/** Confluent's context prefixes (`:*:` any context, `:.:` the default one) select everything here: there is one context. */
function subjectPrefix(raw: string | undefined): string | undefined {
  const prefix = raw?.replace(/^:[*.]:/, '');
  return prefix === '' ? undefined : prefix;
}

function schemaId(raw: string): number {
  const id = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || id < 1) throw registryErrors.schemaNotFound(raw);
  return id;
}

/** `?key=a&value=1&key=b&value=2`, as the Confluent client sends metadata filters, into `{ a: '1', b: '2' }`. */
function metadataQuery(query: Record<string, string | string[] | undefined>): Record<string, string> {
  const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const keys = list(query.key);
  const values = list(query.value);
  return Object.fromEntries(keys.map((k, i) => [k, values[i] ?? '']));
}

function levelFrom(body: unknown): unknown {
  const b = (body ?? {}) as Record<string, unknown>;
  return b.compatibility ?? b.compatibilityLevel;
}
