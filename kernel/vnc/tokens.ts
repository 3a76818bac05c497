import { createHash, randomBytes } from 'node:crypto';

/** 'view' drops the client's input (keys, pointer, clipboard); 'control' passes everything: takeover is explicit. */
export type VncMode = 'view' | 'control';

/** What a token grants: one agent's display, in one mode. The client never names the socket. */
export interface VncGrant {
  agent: number;
  /** The display's socket (Display.socketPath): in a folder only the kernel can write, never one an agent can. */
  socketPath: string;
  mode: VncMode;
}

export interface IssuedToken {
  token: string;
  /** Epoch milliseconds after which the token is refused. */
  expiresAt: number;
}

export type TokenRefusal = 'missing' | 'unknown' | 'expired' | 'used';

export type Redemption = { ok: true; grant: VncGrant } | { ok: false; reason: TokenRefusal };

export interface VncTokensOptions {
  /** How long an unused token stays valid (default 30 s): long enough to open a viewer, too short to leak usefully. */
  ttlMs?: number;
  /** Outstanding tokens at most; issuing beyond throws, so a caller in a loop cannot grow memory. */
  maxOutstanding?: number;
  now?: () => number;
}

interface Entry {
  grant: VncGrant | undefined; // undefined once used: kept until expiry only to say "used" rather than "unknown"
  expiresAt: number;
}

/**
 * Short-lived single-use tokens. Entries are keyed by the token's SHA-256, so a lookup's timing depends on the hash
 * of what was presented, never on how much of a real token it shares.
 */
export class VncTokens {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxOutstanding: number;
  private readonly now: () => number;

  constructor(options: VncTokensOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxOutstanding = options.maxOutstanding ?? 1024;
    this.now = options.now ?? Date.now;
  }

  issue(grant: VncGrant, ttlMs = this.ttlMs): IssuedToken {
    this.sweep();
    if (this.entries.size >= this.maxOutstanding) throw new Error('too many outstanding VNC tokens');
    const token = randomBytes(32).toString('hex'); // 256 bits; hex is valid inside a subprotocol name
    const expiresAt = this.now() + ttlMs;
    this.entries.set(digest(token), { grant: { ...grant }, expiresAt });
    return { token, expiresAt };
  }

  /** Consumes a token: whatever the outcome, it can never be redeemed again. */
  redeem(token: string | undefined): Redemption {
    if (token === undefined || token === '') return { ok: false, reason: 'missing' };
    const key = digest(token);
    const entry = this.entries.get(key);
    if (!entry) return { ok: false, reason: 'unknown' };
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return { ok: false, reason: 'expired' };
    }
    const grant = entry.grant;
    if (!grant) return { ok: false, reason: 'used' };
    entry.grant = undefined;
    return { ok: true, grant };
  }

  /** Forgets every token for an agent (its display stopped), or those of one mode (control was handed back). */
  revoke(agent: number, mode?: VncMode): void {
    for (const [key, entry] of this.entries) {
      if (entry.grant?.agent === agent && (mode === undefined || entry.grant.mode === mode))
        this.entries.delete(key);
    }
  }

  get outstanding(): number {
    this.sweep();
    let count = 0;
    for (const entry of this.entries.values()) if (entry.grant) count++;
    return count;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}
