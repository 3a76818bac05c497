import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HabitatError } from '../../shared/protocol/index.js';

/** The part of Electron's safeStorage this needs (the OS keychain: Keychain, DPAPI, libsecret or kwallet). */
export interface Encryptor {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

const NAME = /^[a-z][a-zA-Z0-9_.-]{0,63}$/;

/**
 * API keys and other secrets, encrypted with the OS keychain's key, one file each under the data folder (mode 0600).
 * Never stored in plain text, in SQLite or anywhere else: where the OS offers no encryption, saving is refused.
 */
export class SecretStore {
  constructor(
    private readonly dir: string,
    private readonly encryptor: Encryptor,
  ) {}

  set(name: string, value: string): void {
    const file = this.file(name);
    if (!this.encryptor.isEncryptionAvailable()) {
      throw new HabitatError(
        'E_UNAVAILABLE',
        'this system offers no secure storage (a keychain) for secrets; set the key in the environment instead',
      );
    }
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
