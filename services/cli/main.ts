/**
 * The `driftloop` command.
 *
 *   driftloop up [--services ingest,...]   all services (or the named ones) in this process
 *   driftloop run <service>                one service against the configured servers
 *   driftloop demo                         the whole loop on the embedded engines with real data
 *   driftloop config [--markdown]          every configuration option, its default and what it allows
 */
import { parseArgs } from 'node:util';
import { ConfigError, errorMessage } from '../common/index.js';
import { up, parseServiceNames } from './commands/up.js';
import { printConfig } from './commands/config.js';
import { demo } from './commands/demo.js';

/** A command line that does not parse: usage goes with the message, exit code 2. */
class UsageError extends Error {}

const USAGE = `usage: driftloop <command>

  up [--services a,b]     run all services (or the named ones) in one process
  run <service>           run one service against the configured servers
  demo [--events N]       produce Elec2 events and watch them land in ClickHouse
  config [--markdown]     list configuration options
`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up': {
      const { values } = parseArgs({ args: rest, options: { services: { type: 'string' } } });
      return up(parseServiceNames(values.services));
    }
    case 'run': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true });
      if (positionals.length !== 1) throw new UsageError('run takes exactly one service name');
      return up(parseServiceNames(positionals[0]));
    }
    case 'demo': {
      const { values } = parseArgs({ args: rest, options: { events: { type: 'string' } } });
      return demo({ events: values.events === undefined ? undefined : Number(values.events) });
    }
    case 'config': {
      const { values } = parseArgs({ args: rest, options: { markdown: { type: 'boolean' } } });
      return printConfig(values.markdown ?? false);
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

// Output piped into `head` and the like: stop quietly when the reader goes away.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`driftloop: ${errorMessage(err)}${err instanceof UsageError ? `\n\n${USAGE}` : ''}`);
  process.exit(err instanceof ConfigError || err instanceof UsageError ? 2 : 1);
});
