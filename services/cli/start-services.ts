import { commonOptions, loadConfig, type Logger } from '../common/index.js';
import { startRuntime, type Runtime } from './runtime.js';
import { SERVICES, registerServiceRoutes, type RunnableService, type ServiceName } from './services.js';

export interface StartServicesOptions {
  names: readonly ServiceName[];
  /** Where every option is read from (common and each service's). */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** A service failed beyond repair; the process should end. */
  onFatal(err: Error): void;
}

/** Services running in this process on one runtime. */
export interface RunningServices {
  readonly runtime: Runtime;
  readonly names: readonly ServiceName[];
  /** Stops the services in reverse start order (each drains and commits what it holds), then the engines. */
  stop(): Promise<void>;
}

/**
 * Starts the runtime (engines, HTTP server with every named service's routes)
 * and then the services in order, each wired into /readyz. What `driftloop up`
 * and the demo share; a failure part way stops what had started.
 */
export async function startServices(options: StartServicesOptions): Promise<RunningServices> {
  const { names, env, logger, onFatal } = options;
  const config = loadConfig(commonOptions, env);
  const running = new Map<ServiceName, RunnableService>();
  // The HTTP server answers while the engines and then the services start one by one: until the last has started, /readyz
  // says what is pending, so nothing (a load balancer, a test, the demo) calls an API whose service is not there yet.
  let starting: string | null = 'the engines';
  const runtime = await startRuntime(config, logger, {
    routes: names.map((name) => (app, shared) => registerServiceRoutes(name, app, { config, env, ...shared }, running)),
    startup: () => {
      if (starting) throw new Error(`starting ${starting}`);
    },
  });
  const started: { name: ServiceName; service: RunnableService }[] = [];
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const { name, service } of started.splice(0).reverse()) {
        try {
          await service.stop();
        } catch (err) {
          logger.error({ err, service: name }, 'service did not stop cleanly');
        }
        running.delete(name);
      }
      await runtime.close();
    })();
    return stopping;
  };
  try {
    for (const name of names) {
      starting = name;
      const service: RunnableService = await SERVICES[name].build(runtime, env, onFatal);
      runtime.http.addReadinessCheck(name, () => service.checkReady?.());
      await service.start();
      started.push({ name, service });
      running.set(name, service);
    }
    starting = null;
  } catch (err) {
    await stop();
    throw err;
  }
  return { runtime, names, stop };
}
