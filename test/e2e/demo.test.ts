import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { svgElements, xmlProblem } from '../support/xml.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'services/cli/bin.cjs');

/**
 * `driftloop demo` as a user runs it, in its own process on its own embedded
 * engines: the whole loop on Elec2 with no step from outside, a summary, a
 * report with its plots, and a clean exit. The data directory is relative, as
 * the defaults are.
 */
describe('driftloop demo', () => {
  const dir = join('.data', `demo-e2e-${randomBytes(4).toString('hex')}`);
  afterAll(() => rm(join(ROOT, dir), { recursive: true, force: true }));

  it('detects the drift, retrains, evaluates and rolls out by itself, then reports and exits 0', { timeout: 300_000 }, async () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of ['KAFKA_BROKERS', 'CLICKHOUSE_URL', 'HTTP_PORT', 'TOPIC_PREFIX', 'LOG_LEVEL']) delete env[key];
    const child = spawn(process.execPath, [BIN, 'demo', '--fast', '--dir', dir], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code, output).toBe(0);

    // Elec2's own time: weekly windows of the market, whatever the replay's speed.
    expect(output).toMatch(/^windows: \d+ drift windows of 1 week of Elec2's time decided: .*\d+ retrain/m);
    expect(output).toMatch(/\] replay: Elec2 from 1997-04-07 #16,080 .* in their own time \(header x-driftloop-event-time\)/m);
    // Under the monitor's defaults Elec2's prices drift from the first weeks on; Victoria's columns, constant until May 1997, drift once they carry data.
    expect(output).toMatch(/^drift detected: window \d+ .* on /m);
    expect(output).toMatch(/\| w\d+ .*vicprice [\d.]+\* /m);
    expect(output).toMatch(/^retrain: run run-\w+ requested by the drift monitor at /m);
    expect(output).toMatch(/^evaluation: (register|reject) .*candidate vs champion v1: accuracy [\d.]+ vs [\d.]+/m);
    expect(output).toMatch(/^outcome: ((promoted|rolled_back) v2|rejected \(run run-\w+\): (?!rejected))/m);
    expect(output).toMatch(/^final champion: v\d/m);
    expect(output).toMatch(/^retrains: [1-9]\d* requested by policy "monitor defaults, weekly windows" in Elec2's time: \d+ promoted, \d+ rejected, \d+ rolled back, \d+ failed/m);
    // Retraining on a timer, backtested on the very records replayed: the figure the loop has to beat.
    expect(output).toMatch(/^versus a schedule: the loop served 0\.\d{3} on ([\d,]+) records with \d+ promoted; on the same \1 records, backtested with the same trainer: never 0\.\d{3}; every 1 week 0\.\d{3} \([1-9]\d* retrains\); every 4 weeks 0\.\d{3} \(\d+ retrains\)$/m);
    expect(output).toMatch(/^ {2}v1 before Victoria joins .*: [\d.]+ on [\d,]+ records$/m);
    // The version that did not answer, scored offline on the very records the other answered (its value is Elec2's, not checked).
    const versus = (v: string): string => ` \\(v${v} on the same records: [\\d.]+\\)$`;
    const promoted = /^outcome: promoted v2/m.test(output);
    if (/^ {2}v2 as canary: /m.test(output)) expect(output).toMatch(new RegExp(`^ {2}v2 as canary: [\\d.]+ on [\\d,]+ records${versus('1')}`, 'm'));
    if (promoted) expect(output).toMatch(new RegExp(`^ {2}v2 after its promotion: [\\d.]+ on [\\d,]+ records${versus('1')}`, 'm'));
    else if (/^outcome: rolled_back v2/m.test(output)) expect(output).toMatch(new RegExp(`^ {2}v1 after the rollback: [\\d.]+ on [\\d,]+ records${versus('2')}`, 'm'));
    expect(output).toMatch(/^\[ *[\d.]+s\] counterfactual: v1 scored offline from its registered artifact on [\d,]+ replayed records; it agrees with what the gateway served as v1 on ([\d,]+) of \1$/m);
    expect(output).toMatch(/^dead letters: 4 of 4 malformed messages/m);
    expect(output).toMatch(/stopped cleanly after/);

    const reportPath = /^report: (.+)$/m.exec(output)?.[1];
    expect(reportPath).toBe(join(dir, 'report.html'));
    const html = await readFile(join(ROOT, reportPath!), 'utf8');
    const svgs = svgElements(html);
    expect(svgs).toHaveLength(3);
    for (const svg of svgs) expect(xmlProblem(svg)).toBeNull();
    // The drift plot has a line per feature, the accuracy plot the overall line and one per version; each with points.
    // A series of one point (a version that served a single rolling window) is drawn as a dot.
    const paths = (svg: string): string[] => [...svg.matchAll(/<path d="(M[^"]+)"/g)].map((m) => m[1]!);
    const drawn = (svg: string): number => paths(svg).length + [...svg.matchAll(/<circle [^>]+><title>/g)].length;
    expect(drawn(svgs[0]!)).toBeGreaterThanOrEqual(7);
    expect(drawn(svgs[1]!)).toBeGreaterThanOrEqual(3);
    if (promoted) expect(svgs[1]).toMatch(/(<path d="M[^"]+" stroke="#999" class="line dashed">|<circle [^>]+ fill="#999">)<title>v1 had it stayed \(200\)<\/title>/);
    for (const d of [...paths(svgs[0]!), ...paths(svgs[1]!)]) expect(d).toMatch(/^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+$/);
    expect(svgs[2]).toContain('Holdout metrics');
    expect(html).not.toMatch(/<script|<link|>NaN<|"NaN/);
    for (const svg of svgs) expect(svg).not.toContain('NaN');
  });
});
