import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configMarkdown } from '../../../services/cli/commands/config.js';

const README = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

describe('the README', () => {
  it('lists every configuration option as `driftloop config --markdown` prints it, and no other', () => {
    const start = README.indexOf('| variable | default | allowed | meaning |');
    expect(start).toBeGreaterThan(0);
    const table = README.slice(start, README.indexOf('\n\n', start));
    expect(table).toBe(configMarkdown());
  });
});
