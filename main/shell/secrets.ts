import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HabitatError } from '../../shared/protocol/index.js';

/** The part of Electron's safeStorage this needs (the OS keychain: Keychain, DPAPI, libsecret or kwallet). */
export interface Encryptor {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux: the password store safeStorage chose (basic_text, gnome_libsecret, kwallet, kwallet5, kwallet6). */
  getSelectedStorageBackend(): string;
}

const NAME = /^[a-z][a-zA-Z0-9_.-]{0,63}$/;

/** Linux password stores that keep the key to the secrets out of reach of whoever can read the user's files. */
const LINUX_KEYRINGS: ReadonlySet<string> = new Set(['gnome_libsecret', 'kwallet', 'kwallet5', 'kwallet6']);

/** Whether secrets would really be protected here, and if not, why and what to do about it. */
export type SecretSecurity = { secure: true } | { secure: false; reason: string };

const FALLBACK = 'set GEMINI_API_KEY in the environment Habitat starts from instead';

/**
 * API keys and other secrets, encrypted with a key the OS keychain holds (Keychain on macOS, DPAPI on Windows, the
 * Secret Service or KWallet on Linux), one file each under the data folder (mode 0600). Never stored in plain text,
 * in SQLite or anywhere else. Where the OS offers no such keychain, saving is refused: that includes Linux without a
 * running keyring, where safeStorage falls back to 'basic_text', encryption with a password built into Chromium that
 * protects nothing.
 */
export class SecretStore {
  constructor(
    private readonly dir: string,
    private readonly encryptor: Encryptor,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  security(): SecretSecurity {
    if (!this.encryptor.isEncryptionAvailable()) {
      return {
        secure: false,
        reason: `this system offers no keychain to encrypt secrets with; ${FALLBACK}`,
      };
    }
    if (this.platform !== 'linux') return { secure: true };
    const backend = this.encryptor.getSelectedStorageBackend();
    if (LINUX_KEYRINGS.has(backend)) return { secure: true };
    return {
      secure: false,
      reason:
        `no keyring is running: the password store is ${backend}, which encrypts with a ` +
        'password built into the app, so anyone who can read your files could read the key. Install and unlock a ' +
        'keyring (gnome-keyring, or KWallet on KDE) and restart Habitat, or start it with ' +
        `--password-store=gnome-libsecret where one runs under another desktop; or ${FALLBACK}`,
    };
  }

  set(name: string, value: string): void {
    const file = this.file(name);
    const security = this.security();
    if (!security.secure) throw new HabitatError('E_UNAVAILABLE', security.reason);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const temp = `${file}.tmp`;
    writeFileSync(temp, this.encryptor.encryptString(value), { mode: 0o600 });
    renameSync(temp, file);
  }

  get(name: string): string | undefined {
    const file = this.file(name);
    let encrypted: Buffer;
    try {
      encrypted = readFileSync(file);
    } catch {
      return undefined;
    }
    try {
      return this.encryptor.decryptString(encrypted);
    } catch {
      return undefined; // another user's or another machine's keychain: as if unset
    }
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  delete(name: string): void {
    rmSync(this.file(name), { force: true });
  }

  private file(name: string): string {
    if (!NAME.test(name)) throw new HabitatError('E_INVALID', `not a secret name: ${name}`);
    return join(this.dir, `${name}.bin`);
  }
}
