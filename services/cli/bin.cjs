#!/usr/bin/env node
// `driftloop` executable: sizes libuv's threadpool, then runs the TypeScript CLI through tsx's loader.
//
// CommonJS on purpose: the pool is sized once, from UV_THREADPOOL_SIZE, when it is first used, and
// loading an ES module entry already uses it, so only a CommonJS entry can set the size in time.
// Every node-rdkafka consumer holds a pool thread while it waits in consume() (up to 100 ms), and
// chDB's queries and file I/O need the same pool: with the default 4 threads, the services of
// `driftloop up` in one process kept a `SELECT 1` waiting 150 ms and more for a free thread.
'use strict';

process.env.UV_THREADPOOL_SIZE ||= '32';

import('tsx/esm/api')
  .then(({ register }) => {
    register();
    return import('./main.ts');
  })
  .catch((err) => {
    process.stderr.write(`driftloop: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
