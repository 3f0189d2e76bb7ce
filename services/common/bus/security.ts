import type { SASLOptions } from 'kafkajs';
import { ConfigError } from '../errors.js';
import type { EventBusOptions } from './types.js';

type Security = NonNullable<EventBusOptions['security']>;

/** The SASL credentials a sasl_* protocol needs; undefined for plaintext and ssl. */
function saslOf(security: Security): { mechanism: NonNullable<Security['saslMechanism']>; username: string; password: string } | undefined {
  if (!security.protocol.startsWith('sasl_')) return undefined;
  const { saslMechanism = 'plain', username, password } = security;
  const mechanisms = ['plain', 'scram-sha-256', 'scram-sha-512'];
  if (!mechanisms.includes(saslMechanism)) throw new ConfigError('security.saslMechanism', `must be one of ${mechanisms.join(', ')}; got ${String(saslMechanism)}`);
  if (!username) throw new ConfigError('security.username', `required when protocol is ${security.protocol}`);
  if (!password) throw new ConfigError('security.password', `required when protocol is ${security.protocol}`);
  return { mechanism: saslMechanism, username, password };
}

function checkProtocol(security: Security): void {
  const allowed = ['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl'];
  if (!allowed.includes(security.protocol)) throw new ConfigError('security.protocol', `must be one of ${allowed.join(', ')}; got ${String(security.protocol)}`);
}

/** librdkafka properties: `security.protocol`, `sasl.mechanisms` (upper case), `sasl.username`, `sasl.password`. */
export function rdkafkaSecurityConfig(security: Security | undefined): Record<string, string> {
  if (!security) return {};
  checkProtocol(security);
  const config: Record<string, string> = { 'security.protocol': security.protocol };
  const sasl = saslOf(security);
  if (sasl) {
    config['sasl.mechanisms'] = sasl.mechanism.toUpperCase();
    config['sasl.username'] = sasl.username;
    config['sasl.password'] = sasl.password;
  }
  return config;
}

export interface KafkajsSecurity {
  ssl?: boolean;
  sasl?: SASLOptions;
}

/** kafkajs client options: `ssl: true` for ssl and sasl_ssl, `sasl` for sasl_*. */
export function kafkajsSecurityConfig(security: Security | undefined): KafkajsSecurity {
  if (!security) return {};
  checkProtocol(security);
  const config: KafkajsSecurity = {};
  if (security.protocol === 'ssl' || security.protocol === 'sasl_ssl') config.ssl = true;
  const sasl = saslOf(security);
  if (sasl) {
    const { username, password } = sasl;
    // Spelled out per mechanism: kafkajs types SASL options as a union keyed by mechanism.
    if (sasl.mechanism === 'plain') config.sasl = { mechanism: 'plain', username, password };
    else if (sasl.mechanism === 'scram-sha-256') config.sasl = { mechanism: 'scram-sha-256', username, password };
    else config.sasl = { mechanism: 'scram-sha-512', username, password };
  }
  return config;
}
