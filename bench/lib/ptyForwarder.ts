import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { spawn as spawnPty } from 'node-pty';
import WebSocket, { WebSocketServer } from 'ws';
import { DEFAULT_BATCH_MAX_BYTES } from '../../kernel/pty/index.js';

/** A frame never grows past Habitat's own cap. */
const MAX_FRAME_BYTES = DEFAULT_BATCH_MAX_BYTES;
/** Sent as text after the last binary frame. */
const END = 'end';

export interface PtyForwarder {
  /** Runs `command` (bash -c) in a pty in the forwarder's process; resolves with the bytes received. */
  run(command: string, onData: (bytes: number) => void): Promise<number>;
  close(): Promise<void>;
}

/**
 * What a second hop costs a simple design: a bare forwarder, in a process of its own as Habitat's host is, that sends
 * what node-pty read in one turn of the event loop as one binary frame. No flow control, no screen, no protocol.
 */
export async function startPtyForwarder(): Promise<PtyForwarder> {
  const child: ChildProcess = spawnChild(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--serve'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the pty forwarder exited with ${code}`)));
  });
  const socket = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return {
    run: (command, onData) =>
      new Promise((resolve) => {
        let received = 0;
        const onMessage = (data: Buffer, isBinary: boolean): void => {
          if (isBinary) {
            received += data.length;
            onData(data.length);
          } else if (data.toString() === END) {
            socket.off('message', onMessage);
            resolve(received);
          }
        };
        socket.on('message', onMessage);
        socket.send(command);
      }),
    close: async () => {
      socket.close();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The forwarder's side: prints its port, then runs each command it is sent. */
function serve(): void {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('listening', () => console.log((wss.address() as AddressInfo).port));
  wss.on('connection', (socket) => {
    socket.on('message', (command) => {
      const pty = spawnPty('/bin/bash', ['-c', String(command)], {
        cols: 120,
        rows: 32,
        env: { PATH: '/usr/bin:/bin' },
        encoding: null,
      });
      let chunks: Buffer[] = [];
      let size = 0;
      let scheduled = false;
      const send = (): void => {
        if (size > 0) socket.send(Buffer.concat(chunks, size), { binary: true });
        chunks = [];
        size = 0;
      };
      pty.onData((data) => {
        const bytes = data as unknown as Buffer;
        if (size + bytes.length > MAX_FRAME_BYTES) send();
        chunks.push(bytes);
        size += bytes.length;
        if (scheduled) return;
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          send();
        });
      });
      // node-pty reports the exit before the last reads: give them a moment, as the raw reference's reader does not
      pty.onExit(() =>
        setTimeout(() => {
          send();
          socket.send(END);
        }, 50),
      );
    });
  });
  process.on('SIGTERM', () => process.exit(0));
}

if (process.argv.includes('--serve')) serve();
