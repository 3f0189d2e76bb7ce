/**
 * Hosts librdkafka's mock cluster (real Kafka wire protocol over TCP) in its
 * own process and prints `{"brokers":"host:port,..."}` once it is up. Runs
 * until stdin closes (the parent died) or SIGTERM.
 *
 *   node --import tsx services/common/bus/mock-cluster-host.ts [brokerCount]
 */
import Kafka from 'node-rdkafka';

const brokerCount = Number(process.argv[2] ?? 3);
// test.mock.* are librdkafka's hidden test properties, absent from node-rdkafka's typings.
const config = {
  'bootstrap.servers': '',
  'test.mock.num.brokers': brokerCount,
  debug: 'mock',
  event_cb: true,
  log_level: 7,
} as unknown as Kafka.ProducerGlobalConfig;
const handle = new Kafka.Producer(config);

let announced = false;
handle.on('event.log', (line: { message: string }) => {
  const m = /Mock cluster \S+ bootstrap\.servers=(\S+)/.exec(line.message);
  if (m && !announced) {
    announced = true;
    process.stdout.write(`${JSON.stringify({ brokers: m[1] })}\n`);
  }
});
handle.on('event.error', (err) => void process.stderr.write(`mock cluster: ${err.message}\n`));
handle.connect();

const stop = (): void => {
  handle.disconnect(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
