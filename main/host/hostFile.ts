import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** run/host.json: how local clients (the CLI) find a running host. Private to the user: it holds the token. */
export const HostFileSchema = z.object({
  url: z.string(),
  wsUrl: z.string(),
  host: z.string(),
  port: z.number().int(),
  token: z.string(),
  pid: z.number().int(),
  startedAt: z.string(),
  version: z.string(),
});
export type HostFile = z.infer<typeof HostFileSchema>;

export function hostFilePath(runDir: string): string {
  return join(runDir, 'host.json');
}

export function writeHostFile(runDir: string, info: HostFile): string {
  const path = hostFilePath(runDir);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  renameSync(temp, path);
  return path;
}

export function readHostFile(runDir: string): HostFile | undefined {
  try {
    return HostFileSchema.parse(JSON.parse(readFileSync(hostFilePath(runDir), 'utf8')));
  } catch {
    return undefined;
  }
}

/** Removes host.json only if it is still ours: a second host may have replaced it. */
export function removeHostFile(runDir: string, pid = process.pid): void {
  const current = readHostFile(runDir);
  if (current && current.pid === pid) rmSync(hostFilePath(runDir), { force: true });
}
