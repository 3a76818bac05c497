import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';

/** X connection setup results: the first byte of the server's reply. */
export const X_SETUP = { failed: 0, success: 1, authenticate: 2 } as const;

/**
 * Opens an X connection on the display's local socket and returns the setup status, with the cookie from an X
 * authority file or with none: proves who may draw on a display without needing any X client installed.
 */
export async function x11Setup(display: number, xauthority?: string): Promise<number> {
  let name = Buffer.alloc(0);
  let data = Buffer.alloc(0);
  if (xauthority) {
    const file = await readFile(xauthority);
    let at = 2; // family
    const next = (): Buffer => {
      const length = file.readUInt16BE(at);
      const value = file.subarray(at + 2, at + 2 + length);
      at += 2 + length;
      return value;
    };
    next(); // address
    next(); // display number
    name = Buffer.from(next());
    data = Buffer.from(next());
  }
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const header = Buffer.alloc(12);
  header.write('l', 0, 'latin1'); // little-endian
  header.writeUInt16LE(11, 2);
  header.writeUInt16LE(0, 4);
  header.writeUInt16LE(name.length, 6);
  header.writeUInt16LE(data.length, 8);
  const socket = connect({ path: `/tmp/.X11-unix/X${display}` });
  socket.write(Buffer.concat([header, pad(name), pad(data)]));
  return new Promise((resolve, reject) => {
    socket.once('data', (reply: Buffer) => {
      socket.destroy();
      resolve(reply[0]!);
    });
    socket.once('error', reject);
  });
}

/** TCP ports a process listens on (IPv4 and IPv6), from /proc: a display must listen on none. */
export async function tcpListenPorts(pid: number): Promise<number[]> {
  const { readdir, readlink } = await import('node:fs/promises');
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.add(match[1]!);
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      // fields: sl local_address rem_address st ... inode (10th)
      if (fields[3] === '0A' && inodes.has(fields[9] ?? ''))
        ports.push(parseInt(fields[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}
