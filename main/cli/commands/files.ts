import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parsePid, type CliContext } from '../context.js';
import { formatBytes, table } from '../format.js';

/** `habitat fs ls|cat|put|get PID PATH`: an agent's home, always through the kernel's safe path resolution. */
export function registerFiles({ program, withClient, print, io }: CliContext): void {
  const fs = program.command('fs').description("read and write files in an agent's home");

  fs.command('ls')
    .argument('<pid>', 'kernel PID')
    .argument('[path]', 'folder, relative to the home', '.')
    .description('list a folder')
    .action(
      withClient(async (client, pid: string, path: string) => {
        const result = await client.call('fs.list', { pid: parsePid(pid), path });
        print(result, () =>
          table(
            ['TYPE', 'SIZE', 'MODIFIED', 'NAME'],
            result.entries.map((e) => [
              e.type,
              formatBytes(e.size),
              new Date(e.mtime).toISOString().slice(0, 19),
              e.name,
            ]),
          ),
        );
      }),
    );

  fs.command('cat')
    .argument('<pid>', 'kernel PID')
    .argument('<path>', 'file, relative to the home')
    .description('print a file')
    .action(
      withClient(async (client, pid: string, path: string) => {
        const result = await client.call('fs.read', { pid: parsePid(pid), path, encoding: 'base64' });
        io.write(Buffer.from(result.content, 'base64'));
      }),
    );

  fs.command('get')
    .argument('<pid>', 'kernel PID')
    .argument('<path>', 'file, relative to the home')
    .argument('[local]', 'where to save it (default: its name, here)')
    .description('copy a file out of the home')
    .action(
      withClient(async (client, pid: string, path: string, local?: string) => {
        const result = await client.call('fs.read', { pid: parsePid(pid), path, encoding: 'base64' });
        const target = local ?? basename(path);
        writeFileSync(target, Buffer.from(result.content, 'base64'));
        print({ path: target, size: result.size }, () => `${target} (${formatBytes(result.size)})`);
      }),
    );

  fs.command('put')
    .argument('<pid>', 'kernel PID')
    .argument('<local>', 'local file ("-" reads standard input)')
    .argument('<path>', 'destination, relative to the home')
    .description('copy a file into the home (atomically)')
    .action(
      withClient(async (client, pid: string, local: string, path: string) => {
        const data = readFileSync(local === '-' ? 0 : local);
        await client.call('fs.write', {
          pid: parsePid(pid),
          path,
          content: data.toString('base64'),
          encoding: 'base64',
          createParents: true,
        });
        print({ path, size: data.length }, () => `${path} (${formatBytes(data.length)})`);
      }),
    );
}
