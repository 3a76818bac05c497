import { HabitatError } from '../../shared/protocol/index.js';

/** One message of the Engine API's streamed JSON (build, import): output, status, an image id or an error. */
export interface EngineMessage {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/**
 * Reads a newline-delimited JSON stream to its end, calling onMessage for each message. A throw from onMessage
 * stops reading and rejects.
 */
export function readJsonLines(
  stream: NodeJS.ReadableStream,
  onMessage: (message: EngineMessage) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      stream.removeListener('data', onData);
      if (error === undefined) resolve();
      else {
        (stream as { destroy?: () => void }).destroy?.();
        reject(error);
      }
    };
    const handle = (line: string): void => {
      if (!line.trim()) return;
      let message: EngineMessage;
      try {
        message = JSON.parse(line) as EngineMessage;
      } catch {
        throw new HabitatError(
          'E_INTERNAL',
          `unreadable message from the Docker engine: ${line.slice(0, 200)}`,
        );
      }
      onMessage(message);
    };
    const onData = (chunk: Buffer | string): void => {
      buffer += chunk.toString();
      let end: number;
      try {
        while ((end = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 1);
          handle(line);
        }
      } catch (error) {
        finish(error);
      }
    };
    stream.on('data', onData);
    stream.once('error', (error) => finish(error));
    stream.once('end', () => {
      try {
        handle(buffer);
        finish();
      } catch (error) {
        finish(error);
      }
    });
    stream.once('close', () =>
      finish(
        settled ? undefined : new HabitatError('E_INTERNAL', 'the Docker engine closed the stream early'),
      ),
    );
  });
}
