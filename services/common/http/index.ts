export { createHttpServer } from './server.js';
export type { HttpServer, HttpServerOptions, ReadinessCheck } from './server.js';
export { requireBearer, safeEqual, hmacSha256Hex } from './auth.js';
