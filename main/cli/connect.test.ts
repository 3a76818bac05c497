import { describe, expect, it } from 'vitest';
import { HabitatError } from '../../shared/protocol/index.js';
import { resolveTarget } from './connect.js';

describe('resolveTarget', () => {
  const good = 'http://127.0.0.1:7420/?token=GOOD';

  it("uses the URL's own token over HABITAT_TOKEN, and --token over both", () => {
    expect(resolveTarget({ url: good }, { HABITAT_TOKEN: 'stale' })).toEqual({
      url: 'ws://127.0.0.1:7420/bridge',
      token: 'GOOD',
    });
    expect(resolveTarget({}, { HABITAT_URL: good, HABITAT_TOKEN: 'stale' }).token).toBe('GOOD');
    expect(resolveTarget({ url: good, token: 'flag' }, { HABITAT_TOKEN: 'stale' }).token).toBe('flag');
    // a URL without a token takes HABITAT_TOKEN
    expect(resolveTarget({ url: 'ws://127.0.0.1:7420/bridge' }, { HABITAT_TOKEN: 'env' }).token).toBe('env');
  });

  it('refuses a URL that does not parse, or names no token, as E_INVALID', () => {
    for (const url of ['foo', 'ftp://host/']) {
      let error: unknown;
      try {
        resolveTarget({ url }, {});
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(HabitatError);
      expect((error as HabitatError).code).toBe('E_INVALID');
      expect((error as HabitatError).message).toContain(`not a Habitat URL: ${url}`);
    }
    expect(() => resolveTarget({ url: 'http://127.0.0.1:1/' }, {})).toThrow(/a token is needed/);
  });
});
