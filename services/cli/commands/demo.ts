import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { commonOptions, createLogger, loadConfig } from '../../common/index.js';
import { SERVICE_NAMES } from '../services.js';
import { startServices } from '../start-services.js';
import { createDemoApi } from '../demo/api.js';
import { loadElec2 } from '../demo/elec2.js';
import { MODEL } from '../demo/history.js';
import { playDemoLoop } from '../demo/loop.js';
import type { ProgressOutput } from '../demo/progress.js';
import { renderReport } from '../demo/report.js';
import { compareWithSchedules } from '../demo/schedules.js';
import { demoEnv, demoPaths, demoPlan } from '../demo/settings.js';
import { elapsed } from '../demo/status.js';
import { followLoop, type Timeline } from '../demo/timeline.js';

export interface DemoOptions {
  /** fast: a slice around Victoria joining the market (about a minute); full: every record. */
  mode: 'fast' | 'full';
  /** Where the demo's engines keep their data (wiped first), its log and its report. @default .data/demo */
  dir?: string;
  out?: ProgressOutput;
}

/**
 * The whole loop on Elec2, on the embedded engines, in this process: every
 * service starts as in `driftloop up` (with timings shrunk to seconds, see
 * demo/settings.ts); a first champion is trained from history sent through
 * Kafka; the rest of the data is replayed through the gateway with labels
 * following; drift, retrain, evaluation, registration, shadow, canary and
 * promotion happen by themselves. Ends with a summary and an HTML report,
 * and fails when the loop did not finish.
 */
export async function demo(options: DemoOptions): Promise<void> {
  const out = options.out ?? process.stdout;
  const startedAt = Date.now();
  const paths = demoPaths(options.dir);
  await rm(paths.dir, { recursive: true, force: true });
  await mkdir(paths.dir, { recursive: true });
  const elec2 = loadElec2();
  const plan = demoPlan(options.mode, elec2.length);
  const env = demoEnv(plan, paths, process.env);
  const config = loadConfig(commonOptions, env);
  const logFile = createWriteStream(paths.log);
  const logger = createLogger({ service: 'driftloop', level: config.logLevel, destination: logFile });
  const say = (line: string): void => void out.write(`[${elapsed(startedAt)}] ${line}\n`);

  say(`driftloop demo (${plan.mode}): every service in this process on the embedded engines; service logs in ${paths.log}`);
  if (!process.env.UV_THREADPOOL_SIZE) say('note: UV_THREADPOOL_SIZE is not set (start through npm run demo or services/cli/bin.cjs): chDB queries will queue behind Kafka consumers');
  let fatal: Error | undefined;
  const services = await startServices({ names: SERVICE_NAMES, env, logger, onFatal: (err) => void (fatal = err) });
  // Ctrl-C stops the services in order (each drains what it holds) rather than leaving the engines mid-write; twice exits at once.
  const interrupt = (): void => {
    process.once('SIGINT', () => process.exit(130));
    say('interrupted: stopping the services');
    void services.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  let timeline: Timeline | undefined;
  try {
    const { runtime } = services;
    timeline = await followLoop(runtime, MODEL, logger);
    const summary = await playDemoLoop({
      runtime, api: createDemoApi(runtime.url, config.adminToken), timeline, plan, elec2, out, startedAt, fatal: () => fatal,
      compareSchedules: (replayedTo) => compareWithSchedules({ clickhouseUrl: config.clickhouseUrl, workDir: join(paths.dir, 'backtest'), elec2, plan, replayedTo, env, logger }),
    });
    out.write(`\n${summary.text}\n`);
    await writeFile(paths.report, renderReport(summary));
    out.write(`report: ${paths.report}\n`);
    if (!summary.outcome) throw new Error(`the loop did not finish within ${Math.round(plan.loopTimeoutMs / 1000)} s of replay (see ${paths.log})`);
  } finally {
    await timeline?.close();
    await services.stop();
    process.off('SIGINT', interrupt);
    await new Promise((resolve) => logFile.end(resolve));
  }
  say(`stopped cleanly after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
}
