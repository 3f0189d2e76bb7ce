export { createHttpServer, DEFAULT_HTTP_TIMEOUTS, MAX_PARAM_LENGTH } from './server.js';
export type { HttpServer, HttpServerOptions, HttpTimeouts, ReadinessCheck } from './server.js';
export { requireApiKey, requireBearer, requireReadToken, safeEqual, hmacSha256Hex } from './auth.js';
export { postSigned, signDriftloopPayload, verifyDriftloopSignature, type SignedPost } from './webhook.js';
