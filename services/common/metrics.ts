import { Registry, collectDefaultMetrics, Counter, Gauge, Histogram } from 'prom-client';

export { Registry, Counter, Gauge, Histogram } from 'prom-client';

/**
 * One Prometheus registry per process (never prom-client's global one), so
 * two services in one process or one test share nothing by accident.
 */
export function createMetricsRegistry(options: { processMetrics?: boolean; prefix?: string } = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: options.prefix ?? 'driftloop_' });
  return registry;
}

/**
 * Returns the metric named `name` if this registry has it, else registers the
 * one `create` builds: lets several instances of a component share a registry.
 */
export function metric<M extends Counter<string> | Gauge<string> | Histogram<string>>(
  registry: Registry,
  name: string,
  create: (registers: Registry[]) => M,
): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create([registry]);
}

export function counter(registry: Registry, name: string, help: string, labelNames: string[] = []): Counter<string> {
  return metric(registry, name, (registers) => new Counter({ name, help, labelNames, registers }));
}

export function gauge(registry: Registry, name: string, help: string, labelNames: string[] = []): Gauge<string> {
  return metric(registry, name, (registers) => new Gauge({ name, help, labelNames, registers }));
}

export function histogram(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[] = [],
  buckets: number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
): Histogram<string> {
  return metric(registry, name, (registers) => new Histogram({ name, help, labelNames, buckets, registers }));
}
