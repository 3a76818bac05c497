import { describe, expect, it } from 'vitest';
import { VncTokens } from './tokens.js';

const grant = { agent: 3, socketPath: '/run/vnc/3/vnc.sock', mode: 'view' as const };

describe('VncTokens', () => {
  it('issues 256-bit tokens that redeem once, to the grant they were issued for', () => {
    const tokens = new VncTokens();
    const { token } = tokens.issue(grant);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(tokens.redeem(token)).toEqual({ ok: true, grant });
    expect(tokens.redeem(token)).toEqual({ ok: false, reason: 'used' });
    expect(tokens.redeem(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(tokens.redeem('a'.repeat(64))).toEqual({ ok: false, reason: 'unknown' });
  });

  it('expires tokens after their time to live, and forgets used ones then too', () => {
    let now = 0;
    const tokens = new VncTokens({ ttlMs: 30_000, now: () => now });
    const early = tokens.issue(grant).token;
    const used = tokens.issue(grant).token;
    tokens.redeem(used);
    const custom = tokens.issue(grant, 60_000).token;
    now = 30_000;
    expect(tokens.redeem(early)).toEqual({ ok: false, reason: 'expired' });
    expect(tokens.redeem(custom).ok).toBe(true);
    now = 90_000;
    tokens.issue(grant); // sweeps
    expect(tokens.redeem(used)).toEqual({ ok: false, reason: 'unknown' });
  });

  it("revokes an agent's tokens and no one else's", () => {
    const tokens = new VncTokens();
    const mine = tokens.issue(grant).token;
    const theirs = tokens.issue({ ...grant, agent: 4 }).token;
    tokens.revoke(3);
    expect(tokens.redeem(mine)).toEqual({ ok: false, reason: 'unknown' });
    expect(tokens.redeem(theirs).ok).toBe(true);
  });

  it('refuses to issue beyond its limit, so a caller in a loop cannot grow memory', () => {
    const tokens = new VncTokens({ maxOutstanding: 3 });
    for (let i = 0; i < 3; i++) tokens.issue(grant);
    expect(() => tokens.issue(grant)).toThrow('too many outstanding VNC tokens');
    expect(tokens.outstanding).toBe(3);
  });

  it("copies the grant: changing the caller's object later changes nothing", () => {
    const tokens = new VncTokens();
    const mutable = { ...grant };
    const { token } = tokens.issue(mutable);
    mutable.socketPath = '/etc/elsewhere';
    const redeemed = tokens.redeem(token);
    expect(redeemed.ok && redeemed.grant.socketPath).toBe(grant.socketPath);
  });
});
