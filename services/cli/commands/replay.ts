/**
 * `driftloop replay <topic> --from <position>`: dead letters re-published to
 * where they came from, or a consumer group rewound so its service re-reads
 * a topic. Talks to Kafka (KAFKA_BROKERS), not to a running driftloop.
 */
import {
  ConfigError,
  createEventBus,
  createKafkaAdmin,
  createLogger,
  kafkaOptions,
  loadConfig,
  ValidationError,
  type ConfigOf,
  type EventBus,
  type KafkaAdmin,
  type Logger,
} from '../../common/index.js';
import {
  parseDuration,
  parsePosition,
  POSITION_FORMS,
  replayDeadLetters,
  resolveGroup,
  resolveTopic,
  rewindGroup,
  type DeadLetterReplayReport,
  type RewindReport,
} from '../replay/index.js';
import { table } from './api.js';

export interface ReplayArgs {
  topic: string;
  from?: string;
  to?: string;
  group?: string;
  source?: string;
  /** How long to wait to join the group (a duration such as 45s). */
  wait?: string;
  dryRun: boolean;
  json: boolean;
}

type KafkaConfig = ConfigOf<typeof kafkaOptions>;

export async function replayCommand(args: ReplayArgs, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig(kafkaOptions, env);
  const now = Date.now();
  const { topic, name } = resolveTopic(args.topic, config.topicPrefix, '<topic>');
  if (args.from === undefined) throw new ValidationError('--from', `is required: ${POSITION_FORMS}`);
  const from = parsePosition('--from', args.from, now);
  if (args.group === undefined && topic !== 'dlq') {
    throw new ValidationError('--group', `replay ${args.topic} rewinds a consumer group: name it with --group <service or group id>; only dead-letters are re-published`);
  }
  if (args.group !== undefined && (args.to !== undefined || args.source !== undefined)) {
    throw new ValidationError(args.to !== undefined ? '--to' : '--source', 'only applies to re-publishing dead-letters, not to rewinding a group (--group)');
  }
  if (args.group === undefined && args.wait !== undefined) throw new ValidationError('--wait', 'only applies to rewinding a group (--group)');
  const joinTimeoutMs = args.wait === undefined ? undefined : parseDuration('--wait', args.wait);
  const group = args.group === undefined ? undefined : resolveGroup(args.group, env);
  const to = args.to === undefined ? parsePosition('--to', 'latest', now) : parsePosition('--to', args.to, now);
  const source = args.source === undefined ? undefined : resolveTopic(args.source, config.topicPrefix, '--source').name;
  if (config.kafkaBrokers.length === 0) {
    throw new ConfigError('KAFKA_BROKERS', 'replay talks to Kafka itself: set the bootstrap servers (the embedded Kafka of `driftloop up` lives inside that process)');
  }

  // The clients' own logs (kafkajs reports a refused join as a crash) only when asked for: the outcome says what happened.
  const logger = createLogger({ service: 'cli', level: env.LOG_LEVEL || 'fatal', destination: process.stderr });
  const bus = busOf(config, group?.client ?? config.kafkaClient, logger);
  const admin = adminOf(config, logger);
  try {
    if (group) {
      const report = await rewindGroup({ bus, admin, logger }, { topic: name, group, from, dryRun: args.dryRun, joinTimeoutMs });
      console.log(args.json ? JSON.stringify(report, null, 2) : rewindText(report));
    } else {
      const report = await replayDeadLetters({ bus, admin }, { topic: name, from, to, source, dryRun: args.dryRun });
      console.log(args.json ? JSON.stringify(report, null, 2) : deadLettersText(report));
    }
  } finally {
    await Promise.all([bus.close(), admin.close()]);
  }
}

function busOf(config: KafkaConfig, client: 'rdkafka' | 'kafkajs', logger: Logger): EventBus {
  return createEventBus({ client, brokers: config.kafkaBrokers, clientId: config.kafkaClientId, debug: config.kafkaDebug || undefined, security: securityOf(config), logger });
}

function adminOf(config: KafkaConfig, logger: Logger): KafkaAdmin {
  return createKafkaAdmin({ brokers: config.kafkaBrokers, clientId: config.kafkaClientId, security: securityOf(config), logger });
}

function securityOf(config: KafkaConfig): NonNullable<Parameters<typeof createEventBus>[0]['security']> {
  return { protocol: config.kafkaSecurityProtocol, saslMechanism: config.kafkaSaslMechanism, username: config.kafkaSaslUsername, password: config.kafkaSaslPassword };
}

function deadLettersText(r: DeadLetterReplayReport): string {
  const sent = Object.entries(r.republished);
  const lines = [`${r.topic} from ${r.from} up to ${r.to}: ${r.read} dead letter${r.read === 1 ? '' : 's'} read${r.dry_run ? ' (dry run: nothing sent)' : ''}`];
  if (sent.length > 0) {
    lines.push('', r.dry_run ? 'would re-publish:' : 're-published:', table(['SOURCE TOPIC', 'MESSAGES'], sent.map(([t, n]) => [t, String(n)])));
  } else {
    lines.push('nothing to re-publish');
  }
  if (r.skipped.length > 0) {
    lines.push('', `skipped ${r.skipped.length}:`, table(['DEAD LETTER', 'ORIGIN', 'REASON'], r.skipped.map((s) => [s.dead_letter, s.origin ?? '?', s.reason])));
  }
  if (r.other_sources > 0) lines.push('', `${r.other_sources} dead letter${r.other_sources === 1 ? '' : 's'} of other source topics left alone (--source)`);
  return lines.join('\n');
}

function rewindText(r: RewindReport): string {
  const total = r.partitions.reduce((sum, p) => sum + p.to_reread, 0);
  const who = r.service ? `${r.group} (${r.service})` : r.group;
  const lines = [
    `group ${who} on ${r.topic}, from ${r.from}${r.dry_run ? ' (dry run: nothing changed)' : ''}`,
    table(
      ['PARTITION', 'COMMITTED', 'NEW OFFSET', 'END', 'TO RE-READ'],
      r.partitions.map((p) => [String(p.partition), p.committed === null ? '-' : String(p.committed), String(p.offset), String(p.end), String(p.to_reread)]),
    ),
    `${total} message${total === 1 ? '' : 's'} to re-read; ${r.dry_run ? 'the group would re-read them' : 'the group re-reads them'} when ${r.service ? `${r.service} starts` : 'its consumers start'} again`,
  ];
  if (r.service === 'ingest') lines.push('ingest skips offsets ClickHouse already holds: only what is missing there is stored again');
  if (r.inactive_by === 'not checked') {
    lines.push('whether the group is active was not checked: these brokers cannot describe groups (librdkafka\'s mock cluster); a run without --dry-run checks by joining the group');
  }
  return lines.join('\n');
}
