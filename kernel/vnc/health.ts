import { connect } from 'node:net';

const GREETING = /^RFB \d{3}\.\d{3}\n$/;

/**
 * Connects to a VNC unix socket and reads the server's greeting (`RFB 003.008\n` from x11vnc): the display answers,
 * not merely a socket file that outlived its server. Resolves with the version line; rejects saying why not.
 */
export function probeRfb(path: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    let received = Buffer.alloc(0);
    const done = (error?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(received.toString('latin1', 0, 12).trimEnd());
    };
    const timer = setTimeout(() => done(new Error(`no RFB greeting within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 12) return;
      const greeting = received.toString('latin1', 0, 12);
      done(
        GREETING.test(greeting) ? undefined : new Error(`not an RFB greeting: ${JSON.stringify(greeting)}`),
      );
    });
    socket.on('error', (error) => done(error));
    socket.on('end', () => done(new Error('closed before the RFB greeting')));
  });
}
