import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { COMMANDS, closestCommand, commandUsage } from '../../../services/cli/usage.js';
import { CLI_MAIN } from '../../support/process.js';

describe('the driftloop command line', () => {
  it('has help for every command, holding only that command\'s lines', () => {
    for (const command of COMMANDS.filter((c) => c !== 'help')) {
      const lines = commandUsage(command).split('\n').filter((l) => /^ {2}\S/.test(l));
      expect(lines.length, command).toBeGreaterThan(0);
      for (const line of lines) expect(line.trim().split(/[\s,]/)[0] === command || line.includes(`, ${command} `), `${command}: ${line}`).toBe(true);
    }
    expect(commandUsage('replay')).toContain('P: earliest, latest, an offset');
  });

  it('suggests the command a typo meant, and nothing for what is far from any', () => {
    expect(closestCommand('stauts')).toBe('status');
    expect(closestCommand('rollbak')).toBe('rollback');
    expect(closestCommand('modles')).toBe('models');
    expect(closestCommand('deploy-everything')).toBeUndefined();
  });

  it('answers <command> --help and -h with exit 0, and a typo with exit 2 and the suggestion', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
    const help = run('status', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toBe(commandUsage('status'));
    const typo = run('stauts');
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain('unknown command "stauts"; did you mean "status"?');
    expect(execFileSync(process.execPath, ['--import', 'tsx', CLI_MAIN, '-h'], { encoding: 'utf8' })).toMatch(/^usage: driftloop <command>/);
  });

  it('prints the configuration in effect, not the defaults, and refuses a bad value naming its key', () => {
    const run = (env: Record<string, string>) => spawnSync(process.execPath, ['--import', 'tsx', CLI_MAIN, 'config'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
    const shown = run({ HTTP_PORT: '9999', DRIFT_WINDOW_MS: '2h', DRIFTLOOP_ADMIN_TOKEN: 'secret-value' });
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/^HTTP_PORT=9999 {3}\(set; default 8080\)$/m);
    expect(shown.stdout).toMatch(/^DRIFT_WINDOW_MS=7200000 {3}\(set; default 3600000\)$/m);
    expect(shown.stdout).toMatch(/^DRIFTLOOP_ADMIN_TOKEN=<set>/m);
    expect(shown.stdout).not.toContain('secret-value');
    const bad = run({ DRIFT_WINDOW_MS: 'an hour' });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('config DRIFT_WINDOW_MS: "an hour" is not valid');
  });

  it('refuses a bad service option at up before any engine starts, naming the key', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', CLI_MAIN, 'up'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, DRIFT_WINDOW_MS: 'x' } });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('config DRIFT_WINDOW_MS: "x" is not valid');
    // Nothing started: no log line at all (the engines log as they start).
    expect(res.stdout).toBe('');
  });
});
