import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HabitatError } from '../../shared/protocol/index.js';
import { DebootstrapProgress } from './debootstrap.js';
import { missingImageMessage, normalizeTag } from './inventory.js';
import { detectDebianMirror, mirrorFromDeb822, mirrorFromOneLine } from './mirror.js';
import { mountsBelow } from './rootfs.js';

/** The shape of a real `debootstrap --variant=minbase` run, shortened to a handful of packages. */
function debootstrapLog(packages: string[]): string[] {
  return [
    'I: Retrieving InRelease ',
    'I: Checking Release signature',
    'I: Retrieving Packages ',
    'I: Validating Packages ',
    'I: Resolving dependencies of required packages...',
    ...packages.flatMap((p) => [`I: Retrieving ${p} 1.0-1`, `I: Validating ${p} 1.0-1`]),
    'I: Chosen extractor for .deb packages: dpkg-deb',
    ...packages.slice(0, -1).map((p) => `I: Extracting ${p}...`),
    'I: Installing core packages...',
    'I: Unpacking required packages...',
    ...packages.map((p) => `I: Unpacking ${p}...`),
    'I: Configuring required packages...',
    ...packages.map((p) => `I: Configuring ${p}...`),
    'I: Configuring libc-bin...',
    'I: Base system installed successfully.',
  ];
}

describe('debootstrap progress', () => {
  it('climbs through the stages without going back, and ends at 100', () => {
    const packages = Array.from({ length: 120 }, (_, i) => `pkg${i}.${i}`);
    const progress = new DebootstrapProgress();
    const percents: number[] = [];
    for (const line of debootstrapLog(packages)) {
      const percent = progress.feed(line);
      if (percent !== undefined) percents.push(percent);
    }
    expect(percents.length).toBeGreaterThan(400);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(100);
    // Halfway through the package lines is roughly halfway through the run, not at either end.
    const middle = percents[Math.floor(percents.length / 2)]!;
    expect(middle).toBeGreaterThan(30);
    expect(middle).toBeLessThan(80);
  });

  it('ignores lines that are not progress', () => {
    const progress = new DebootstrapProgress();
    expect(progress.feed('I: Checking component main on http://deb.debian.org/debian...')).toBeUndefined();
    expect(progress.feed('W: Cannot check Release signature')).toBeUndefined();
  });
});

describe('Debian mirror detection', () => {
  it('reads the main archive from deb822 sources, skipping the security pocket', () => {
    const text = [
      'Types: deb',
      'URIs: http://deb.debian.org/debian-security',
      'Suites: bookworm-security',
      'Components: main',
      '',
      'Types: deb',
      '# http://snapshot.debian.org/archive/debian/20250520T000000Z',
      'URIs: http://mirror.example/debian/',
      'Suites: bookworm bookworm-updates',
      'Components: main',
    ].join('\n');
    expect(mirrorFromDeb822(text)).toBe('http://mirror.example/debian');
  });

  it('reads the one-line sources.list format', () => {
    const text = [
      '# deb http://commented.example/debian bookworm main',
      'deb-src http://src.example/debian bookworm main',
      'deb http://security.debian.org/debian-security bookworm-security main',
      'deb [arch=amd64 signed-by=/k.gpg] https://mirror.example/debian bookworm main contrib',
    ].join('\n');
    expect(mirrorFromOneLine(text)).toBe('https://mirror.example/debian');
  });

  it('prefers HABITAT_DEBIAN_MIRROR, then apt, then deb.debian.org', () => {
    const apt = mkdtempSync(join(tmpdir(), 'habitat-apt-'));
    try {
      expect(detectDebianMirror({}, apt)).toBe('http://deb.debian.org/debian');
      mkdirSync(join(apt, 'sources.list.d'));
      writeFileSync(join(apt, 'sources.list'), 'deb http://one-line.example/debian bookworm main\n');
      expect(detectDebianMirror({}, apt)).toBe('http://one-line.example/debian');
      writeFileSync(
        join(apt, 'sources.list.d', 'debian.sources'),
        'Types: deb\nURIs: http://deb822.example/debian\nSuites: bookworm\nComponents: main\n',
      );
      expect(detectDebianMirror({}, apt)).toBe('http://deb822.example/debian');
      expect(detectDebianMirror({ HABITAT_DEBIAN_MIRROR: 'http://env.example/debian/' }, apt)).toBe(
        'http://env.example/debian',
      );
      expect(() => detectDebianMirror({ HABITAT_DEBIAN_MIRROR: 'ftp://x/debian' }, apt)).toThrow(
        HabitatError,
      );
    } finally {
      rmSync(apt, { recursive: true, force: true });
    }
  });
});

describe('image tags', () => {
  it('makes :latest explicit and refuses malformed tags', () => {
    expect(normalizeTag('habitat/sandbox:base')).toBe('habitat/sandbox:base');
    expect(normalizeTag('habitat/sandbox')).toBe('habitat/sandbox:latest');
    for (const bad of ['', 'Habitat/Sandbox', 'a b', 'x:', '../x', 'x:-y', 'registry.example:5000/x:y']) {
      expect(() => normalizeTag(bad), bad).toThrow(expect.objectContaining({ code: 'E_INVALID' }));
    }
  });

  it('says how to build a missing image', () => {
    expect(missingImageMessage('habitat/sandbox:base')).toContain('`habitat image build`');
    expect(missingImageMessage('my/img:v2')).toContain('`habitat image build --tag my/img:v2`');
  });
});

describe('mount points below a tree', () => {
  it('finds them deepest first, decoding escaped spaces, and only inside the tree', () => {
    const mountinfo = [
      '22 1 254:0 / / rw - ext4 /dev/vda rw',
      '90 22 0:5 /null /tmp/habitat-image-x/rootfs/dev/null rw - devtmpfs udev rw',
      '91 22 0:20 / /tmp/habitat-image-x/rootfs/proc rw - proc proc rw',
      '92 22 0:21 / /tmp/habitat-image-x/rootfs/my\\040dir rw - tmpfs t rw',
      '93 22 0:22 / /tmp/habitat-image-xy rw - tmpfs t rw',
    ].join('\n');
    expect(mountsBelow('/tmp/habitat-image-x', mountinfo)).toEqual([
      '/tmp/habitat-image-x/rootfs/dev/null',
      '/tmp/habitat-image-x/rootfs/my dir',
      '/tmp/habitat-image-x/rootfs/proc',
    ]);
  });
});
