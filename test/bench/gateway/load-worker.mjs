// The load generator, in its own thread so its event loop never delays the
// gateway's: HTTP/1.1 keep-alive POSTs of pre-built bodies, either open loop
// (a fixed rate, each request sent when due whatever the answers do) or closed
// loop (a fixed number of callers for a fixed time). Bounded in count and
// time; talks to loopback only.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';

const { url, bodies, mode, rate, count, concurrency, durationMs, method = 'POST' } = workerData;
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const latencies = [];
const statuses = {};
let sent = 0;
let done = 0;
const started = performance.now();

function send(i, onDone) {
  const body = method === 'POST' ? bodies[i % bodies.length] : undefined;
  const headers = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  const t0 = performance.now();
  const req = http.request(
    { host: target.hostname, port: target.port, path: target.pathname, method, agent, headers },
    (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(performance.now() - t0);
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        done++;
        onDone();
      });
    },
  );
  req.on('error', () => {
    statuses.error = (statuses.error ?? 0) + 1;
    done++;
    onDone();
  });
  req.end(body);
}

function finish() {
  agent.destroy();
  parentPort.postMessage({ latencies: Float64Array.from(latencies), statuses, elapsedMs: performance.now() - started });
}

if (mode === 'open') {
  const tick = () => {
    const due = Math.min(count, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    while (sent < due) send(sent++, () => done === count && finish());
    if (sent < count) setTimeout(tick, 1);
  };
  tick();
} else {
  const deadline = started + durationMs;
  let active = concurrency;
  const loop = () => {
    if (performance.now() >= deadline) {
      if (--active === 0) finish();
      return;
    }
    send(sent++, loop);
  };
  for (let c = 0; c < concurrency; c++) loop();
}
