import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script for electron-builder, without types
import afterPack from '../../scripts/afterPack.mjs';

const root = join(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'habitat-pack-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type AfterPack = (context: unknown) => Promise<void>;

describe('packaging', () => {
  it('keeps node-pty spawn-helper executable in the unpacked app, and fails loudly when it is missing', async () => {
    const helperDir = join(
      scratch,
      'linux',
      'resources',
      'app.asar.unpacked',
      'node_modules',
      'node-pty',
      'build',
      'Release',
    );
    mkdirSync(helperDir, { recursive: true });
    const helper = join(helperDir, 'spawn-helper');
    writeFileSync(helper, '#!/bin/sh\n');
    chmodSync(helper, 0o644);
    const context = (dir: string) => ({
      electronPlatformName: 'linux',
      appOutDir: join(scratch, dir),
      packager: { appInfo: { productFilename: 'Habitat' } },
    });
    await (afterPack as AfterPack)(context('linux'));
    expect(statSync(helper).mode & 0o777).toBe(0o755);
    await expect((afterPack as AfterPack)(context('empty'))).rejects.toThrow(/spawn-helper not found/);
  });

  it('configures installers, unpacked native modules and release fuses', () => {
    const config = readFileSync(join(root, 'electron-builder.yml'), 'utf8');
    for (const line of [
      'appId: dev.habitat.app',
      'productName: Habitat',
      'target: [dmg, zip]',
      'target: [nsis]',
      'target: [AppImage, deb]',
      '- node_modules/node-pty/**',
      '- node_modules/better-sqlite3/**',
      'runAsNode: false',
      'enableNodeOptionsEnvironmentVariable: false',
      'onlyLoadAppFromAsar: true',
      'enableEmbeddedAsarIntegrityValidation: true',
      'afterPack: scripts/afterPack.mjs',
      'provider: generic',
    ])
      expect(config, line).toContain(line);
  });
});
