import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { captureEnvironment, codeVersion } from '../../../services/trainer/environment.js';

describe('run environment', () => {
  it('names the git commit of the checkout, or the configured version', async () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD']).toString().trim();
    expect(await codeVersion()).toMatch(new RegExp(`^${head}(-dirty)?$`));
    expect(await codeVersion(process.cwd(), { DRIFTLOOP_CODE_VERSION: 'v1.2.3' })).toBe('v1.2.3');
    expect(await codeVersion('/')).toBe('unknown');
  });

  it('records Node and the machine, and leaves out what it cannot probe', async () => {
    const env = await captureEnvironment('no-such-python');
    expect(env.node).toBe(process.version);
    expect(env.cpu).toMatch(/^\d+ x /);
    expect(env.python).toBeUndefined();
    expect(env.torch).toBeUndefined();
  });
});
