import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerForTests } from '../../test/docker.js';
import { commands, DESKTOP_SANDBOX_IMAGE, HabitatError } from '../../shared/protocol/index.js';
import {
  DEFAULT_SANDBOX_IMAGE,
  ensureSandboxImage,
  findSandboxDockerfile,
  missingImageMessage,
  rootfsImage,
  sandboxPackages,
} from './index.js';

const MINUTES = 60_000;
const DESKTOP_PROGRAMS = ['Xvfb', 'x11vnc', 'openbox', 'xterm', 'xdotool', 'wish', 'chromium', 'xwininfo'];

describe('image variants: the Dockerfile is the one list of packages', () => {
  const dockerfile = findSandboxDockerfile();
  const dir = mkdtempSync(join(tmpdir(), 'habitat-variants-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('base installs the shell tools; desktop adds X, VNC, a window manager, xdotool, fonts and Chromium', () => {
    const base = sandboxPackages(dockerfile);
    expect(base).toEqual(sandboxPackages(dockerfile, 'base'));
    expect(base).toEqual(expect.arrayContaining(['bash', 'procps', 'curl', 'python3-minimal']));
    expect(base.some((p) => /xvfb|chromium/.test(p))).toBe(false);

    const desktop = sandboxPackages(dockerfile, 'desktop');
    expect(desktop.slice(0, base.length)).toEqual(base); // a superset, base first
    for (const p of [
      'xvfb',
      'x11vnc',
      'openbox',
      'xterm',
      'xdotool',
      'fonts-dejavu-core',
      'chromium',
      'dbus-x11',
    ])
      expect(desktop).toContain(p);
    expect(new Set(desktop).size).toBe(desktop.length);
  });

  it('the Dockerfile builds either variant from the same lines, and labels the image with it', () => {
    const text = readFileSync(dockerfile, 'utf8');
    expect(text).toMatch(/^ARG VARIANT=base$/m);
    expect(text).toMatch(/dev\.habitat\.variant=\$\{VARIANT\}/);
    expect(text).toMatch(/desktop\) packages="\$packages \$desktop_packages"/);
    expect(text).toContain('unknown VARIANT'); // a typo fails the build instead of making a base image
  });

  it('a Dockerfile without the desktop list fails the desktop build, saying which line is missing', () => {
    const broken = join(dir, 'Dockerfile');
    writeFileSync(broken, 'RUN packages="bash coreutils"; echo\n');
    expect(sandboxPackages(broken, 'base')).toEqual(['bash', 'coreutils']);
    const error = (() => {
      try {
        sandboxPackages(broken, 'desktop');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(HabitatError);
    expect((error as HabitatError).message).toContain('desktop_packages="..."');
  });

  it('each variant imports its own rootfs, so building one never replaces the other', () => {
    expect(rootfsImage('base')).toEqual({ repo: 'habitat/sandbox-rootfs', tag: 'bookworm' });
    expect(rootfsImage('desktop')).toEqual({ repo: 'habitat/sandbox-rootfs', tag: 'bookworm-desktop' });
  });

  it('image.build takes a variant (default base); a missing desktop image says how to build it', () => {
    const args = commands['image.build'].args;
    expect(args.parse({})).toEqual({ variant: 'base' });
    expect(args.parse({ variant: 'desktop' })).toEqual({ variant: 'desktop' });
    expect(args.safeParse({ variant: 'gnome' }).success).toBe(false);
    expect(missingImageMessage(DESKTOP_SANDBOX_IMAGE)).toContain('`habitat image build --variant desktop`');
    expect(missingImageMessage(DESKTOP_SANDBOX_IMAGE)).toContain(
      '`docker build --build-arg VARIANT=desktop -t habitat/sandbox:desktop resources/sandbox`',
    );
    expect(missingImageMessage(DEFAULT_SANDBOX_IMAGE)).toContain('`habitat image build`');
  });
});

const docker = await dockerForTests('the desktop image');

/** Runs a command in a throwaway container of the image, with no network, and returns its output. */
async function runIn(engine: Docker, image: string, cmd: string[]): Promise<string> {
  const container = await engine.createContainer({
    Image: image,
    Cmd: cmd,
    Tty: true,
    Labels: { 'dev.habitat.test': 'images' },
    HostConfig: { NetworkMode: 'none', Init: true },
  });
  try {
    await container.start();
    await container.wait();
    return (await container.logs({ stdout: true, stderr: true, follow: false })).toString('utf8');
  } finally {
    await container.remove({ force: true });
  }
}

describe.skipIf(!docker)('the desktop image on the real daemon', () => {
  // CI builds it before the tests (.ci/run); elsewhere this builds it when missing (about five minutes).
  it(
    'ensures habitat/sandbox:desktop: agent user, the desktop programs, an X server that starts',
    async () => {
      const info = await ensureSandboxImage(docker!, { variant: 'desktop' });
      expect(info).toMatchObject({ tag: DESKTOP_SANDBOX_IMAGE, variant: 'desktop' });
      const out = await runIn(docker!, DESKTOP_SANDBOX_IMAGE, [
        'bash',
        '-c',
        `id -un; for p in ${DESKTOP_PROGRAMS.join(' ')}; do command -v $p >/dev/null && echo "has $p"; done; ` +
          'Xvfb :5 -screen 0 320x200x24 -nolisten tcp -displayfd 1 & sleep 1; DISPLAY=:5 xdotool getdisplaygeometry',
      ]);
      const lines = out.trim().split(/\r?\n/);
      expect(lines[0]).toBe('agent');
      for (const program of DESKTOP_PROGRAMS) expect(lines).toContain(`has ${program}`);
      expect(lines).toContain('320 200');
    },
    20 * MINUTES,
  );
});
