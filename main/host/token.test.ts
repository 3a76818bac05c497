import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { CLI, runCli } from '../../test/servedCli.js';
import { startServe } from '../../test/servedHost.js';
import { EXIT } from '../cli/context.js';
import { startHeadlessHost } from './HeadlessHost.js';
import { hostTokenProblem, TOKEN_MIN_LENGTH } from './token.js';

const GOOD = '0123456789abcdef'.repeat(2); // 32 characters, 16 different ones

describe('a host token chosen by a person', () => {
  it('is refused when empty, short, long, repetitive or not URL-safe', () => {
    expect(hostTokenProblem('')).toMatch(/^the host token is empty: a token must be at least 32 characters/);
    expect(hostTokenProblem('x'.repeat(5), 'HABITAT_TOKEN')).toMatch(/^HABITAT_TOKEN is 5 characters long/);
    expect(hostTokenProblem(GOOD.slice(1))).toMatch(/is 31 characters long/);
    expect(hostTokenProblem(GOOD.repeat(17))).toMatch(/over 512/);
    expect(hostTokenProblem('a'.repeat(64))).toMatch(/fewer than 8 different characters/);
    expect(hostTokenProblem('passwordpasswordpasswordpassword')).toMatch(/fewer than 8 different/);
    expect(hostTokenProblem(`${GOOD} `)).toMatch(/character other than/);
    expect(hostTokenProblem(`${GOOD}&x=1`)).toMatch(/character other than/);
  });

  it('is accepted when long and varied enough', () => {
    expect(GOOD).toHaveLength(TOKEN_MIN_LENGTH);
    expect(hostTokenProblem(GOOD)).toBeUndefined();
    expect(hostTokenProblem('f'.repeat(8) + 'abcdef0123456789-._~AZ' + 'z'.repeat(20))).toBeUndefined();
  });

  it('keeps startHeadlessHost from starting anything with a weak one', async () => {
    const dir = tempDir();
    try {
      const dataDir = join(dir.path, 'data');
      for (const token of ['', 'short']) {
        await expect(startHeadlessHost({ port: 0, dataDir, token })).rejects.toMatchObject({
          code: 'E_INVALID',
          message: expect.stringMatching(/^the host token (is empty|is 5 characters long)/),
        });
      }
      expect(existsSync(dataDir), 'no data folder was opened').toBe(false);
    } finally {
      dir.cleanup();
    }
  });
});

describe('habitat serve with HABITAT_TOKEN', () => {
  it('refuses an empty or short one: a usage error (exit 2), as JSON with --json, and no host', async () => {
    const dir = tempDir();
    try {
      const dataDir = join(dir.path, 'data');
      const serve = (token: string, json: boolean) =>
        runCli([...(json ? ['--json'] : []), '--data-dir', dataDir, 'serve', '--port', '0'], {
          HABITAT_TOKEN: token,
        });
      const empty = await serve('', true);
      expect(empty.code, empty.stderr).toBe(EXIT.usage);
      expect(JSON.parse(empty.stdout)).toEqual({
        error: {
          code: 'E_INVALID',
          message: expect.stringMatching(/^HABITAT_TOKEN is empty: .*32 characters/),
        },
      });
      const short = await serve('deadbeef', false);
      expect(short.code).toBe(EXIT.usage);
      expect(short.stdout).toBe('');
      expect(short.stderr).toMatch(
        /^habitat: E_INVALID: HABITAT_TOKEN is 8 characters long: .*unset HABITAT_TOKEN/,
      );
      expect(existsSync(join(dataDir, 'run', 'host.json'))).toBe(false);
      expect(existsSync(dataDir), 'no kernel started').toBe(false);
    } finally {
      dir.cleanup();
    }
  });

  it('serves with a strong one, under that token', async () => {
    const dir = tempDir();
    const { child, info } = await startServe(CLI, join(dir.path, 'data'), 'pipe', {
      ...process.env,
      HABITAT_TOKEN: GOOD,
    });
    try {
      expect(info.token).toBe(GOOD);
      expect(info.url).toMatch(new RegExp(`\\?token=${GOOD}$`));
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      dir.cleanup();
    }
  });
});
