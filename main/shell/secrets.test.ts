import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretStore, type Encryptor } from './secrets.js';

const scratch = mkdtempSync(join(tmpdir(), 'habitat-secrets-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Stands in for Electron's safeStorage on Linux: with no keyring running it still "encrypts" (isEncryptionAvailable
 * is true), with a password built into Chromium, and says so only through getSelectedStorageBackend.
 */
function safeStorage(backend: string): Encryptor {
  return {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => backend,
    encryptString: (plain) => Buffer.from(`v11${Buffer.from(plain).toString('base64')}`),
    decryptString: (encrypted) => Buffer.from(encrypted.toString().slice(3), 'base64').toString(),
  };
}

describe('secrets on Linux', () => {
  it('refuses to store a key when the password store is basic_text, saying why and what to install', () => {
    const dir = join(scratch, 'basic');
    const store = new SecretStore(dir, safeStorage('basic_text'), 'linux');
    const security = store.security();
    expect(security.secure).toBe(false);
    expect(() => store.set('gemini.apiKey', 'AIza-secret')).toThrow(
      expect.objectContaining({
        code: 'E_UNAVAILABLE',
        message: expect.stringMatching(
          /no keyring is running.*basic_text.*gnome-keyring.*KWallet.*GEMINI_API_KEY/s,
        ),
      }),
    );
    expect(existsSync(join(dir, 'gemini.apiKey.bin'))).toBe(false);
  });

  it('stores it with a real keyring (libsecret or KWallet)', () => {
    for (const backend of ['gnome_libsecret', 'kwallet', 'kwallet5', 'kwallet6']) {
      const dir = join(scratch, backend);
      const store = new SecretStore(dir, safeStorage(backend), 'linux');
      expect(store.security(), backend).toEqual({ secure: true });
      store.set('gemini.apiKey', 'AIza-secret');
      expect(store.get('gemini.apiKey')).toBe('AIza-secret');
      expect(readFileSync(join(dir, 'gemini.apiKey.bin'), 'utf8')).not.toContain('AIza-secret');
    }
  });

  it('treats a store it does not know (unknown, before the app is ready) as no keyring', () => {
    const store = new SecretStore(join(scratch, 'unknown'), safeStorage('unknown'), 'linux');
    expect(() => store.set('gemini.apiKey', 'k')).toThrow(/password store is unknown/);
  });

  it('asks no password store on macOS and Windows, where the OS keychain is always the one', () => {
    const throwing = {
      ...safeStorage('basic_text'),
      getSelectedStorageBackend: (): string => {
        throw new Error('Linux only');
      },
    };
    for (const platform of ['darwin', 'win32'] as const) {
      const store = new SecretStore(join(scratch, platform), throwing, platform);
      store.set('gemini.apiKey', 'k');
      expect(store.get('gemini.apiKey')).toBe('k');
    }
  });
});
