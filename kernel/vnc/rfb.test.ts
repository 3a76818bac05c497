import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RfbViewFilter } from './rfb.js';
import { handshake, rfb } from './testing/rfbMessages.js';

/** Feeds the chunks one by one and joins what the filter forwards. */
function run(filter: RfbViewFilter, chunks: Buffer[]): Buffer {
  return Buffer.concat(chunks.map((c) => filter.push(c)));
}

function splitAt(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let from = 0;
  for (const p of [...points, data.length]) {
    parts.push(data.subarray(from, p));
    from = p;
  }
  return parts;
}

// Every message kind a viewer may send, each labelled with whether a view-only viewer's copy reaches the display.
const kinds: [Buffer, boolean][] = [
  [rfb.setPixelFormat(), true],
  [rfb.setEncodings([7, 16, 0, -223, -224, -312, -313]), true],
  [rfb.updateRequest(true), true],
  [rfb.continuousUpdates(true), true],
  [rfb.fence(Buffer.from('abc')), true],
  [rfb.key(true, 0x61), false],
  [rfb.pointer(1, 10, 20), false],
  [rfb.cutText('secret clipboard'), false],
  [rfb.extendedCutText(Buffer.alloc(40, 7)), false],
  [rfb.setDesktopSize(2), false],
  [rfb.xvp(4), false],
  [rfb.qemuKey(true, 0x61, 30), false],
];

describe('RfbViewFilter', () => {
  it('passes the handshake and display requests and drops every input message', () => {
    const filter = new RfbViewFilter();
    const stream = Buffer.concat([handshake(), ...kinds.map(([m]) => m)]);
    const expected = Buffer.concat([handshake(), ...kinds.filter(([, pass]) => pass).map(([m]) => m)]);
    expect(run(filter, [stream]).equals(expected)).toBe(true);
    expect(filter.error).toBeUndefined();
    expect(filter.dropped).toBe(kinds.filter(([, pass]) => !pass).length);
  });

  it('gives the same answer whatever the chunking, down to single bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: kinds.length - 1 }), { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (picks, cuts) => {
          const messages = picks.map((i) => kinds[i]!);
          const stream = Buffer.concat([handshake(), ...messages.map(([m]) => m)]);
          const expected = Buffer.concat([handshake(), ...messages.filter(([, p]) => p).map(([m]) => m)]);
          expect(run(new RfbViewFilter(), splitAt(stream, cuts)).equals(expected)).toBe(true);
        },
      ),
    );
    const stream = Buffer.concat([handshake(), ...kinds.map(([m]) => m)]);
    const bytes = [...stream].map((b) => Buffer.from([b]));
    const expected = Buffer.concat([handshake(), ...kinds.filter(([, pass]) => pass).map(([m]) => m)]);
    expect(run(new RfbViewFilter(), bytes).equals(expected)).toBe(true);
  });

  it('passes the VNC authentication response', () => {
    const stream = Buffer.concat([
      rfb.version(),
      rfb.securityType(2),
      rfb.vncAuthResponse(),
      rfb.clientInit(true),
    ]);
    expect(run(new RfbViewFilter(), [stream]).equals(stream)).toBe(true);
  });

  it('turns an exclusive ClientInit into a shared one: a viewer cannot disconnect the others', () => {
    expect(run(new RfbViewFilter(), [handshake(false)]).equals(handshake(true))).toBe(true);
  });

  it('streams a huge clipboard away without holding it', () => {
    const filter = new RfbViewFilter();
    const cut = rfb.cutText('x'.repeat(4 * 1024 * 1024));
    const out = run(filter, [handshake(), ...splitAt(cut, [5, 65536, 1_000_000]), rfb.updateRequest(true)]);
    expect(out.equals(Buffer.concat([handshake(), rfb.updateRequest(true)]))).toBe(true);
  });

  it('fails closed on what it cannot vouch for, forwarding only what came before', () => {
    const unknown = new RfbViewFilter();
    const before = Buffer.concat([handshake(), rfb.updateRequest(true)]);
    expect(run(unknown, [before, Buffer.from([99, 1, 2, 3]), rfb.updateRequest(false)]).equals(before)).toBe(
      true,
    );
    expect(unknown.error).toMatch(/unknown RFB client message type 99/);

    const old = new RfbViewFilter();
    expect(run(old, [rfb.version('003.003')]).length).toBe(0);
    expect(old.error).toMatch(/unsupported RFB version/);

    const tight = new RfbViewFilter();
    expect(run(tight, [rfb.version(), rfb.securityType(16)]).equals(rfb.version())).toBe(true);
    expect(tight.error).toMatch(/security type 16/);

    const audio = new RfbViewFilter();
    run(audio, [handshake(), Buffer.from([255, 1, 0, 0])]);
    expect(audio.error).toMatch(/variant of RFB client message type 255/);
  });
});
