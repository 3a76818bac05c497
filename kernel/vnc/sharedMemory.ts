import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Removes the System V shared memory segments a display program created and nobody holds any more. x11vnc polls the
 * screen through dozens of them and removes them only on a clean exit: each crash, hang or SIGKILL left them behind
 * until the machine's limit (kernel.shmmni) was reached and no x11vnc could start. Linux only (/proc/sysvipc/shm);
 * elsewhere, or where ipcrm is missing, nothing is done. Returns how many were removed; never throws.
 */
export async function releaseSharedMemory(creatorPid: number | undefined): Promise<number> {
  if (!creatorPid) return 0;
  let table: string;
  try {
    table = await readFile('/proc/sysvipc/shm', 'utf8');
  } catch {
    return 0;
  }
  const orphans = orphanSegments(table, creatorPid);
  if (orphans.length === 0) return 0;
  try {
    await run(
      'ipcrm',
      orphans.flatMap((id) => ['-m', String(id)]),
    );
    return orphans.length;
  } catch {
    return 0; // one went meanwhile, or no ipcrm: nothing worse than before
  }
}

/** The ids of the segments in a /proc/sysvipc/shm table that `creatorPid` created and nothing has attached. */
export function orphanSegments(table: string, creatorPid: number): number[] {
  const [header, ...rows] = table.trim().split('\n');
  const columns = header?.trim().split(/\s+/) ?? [];
  const at = (name: string) => columns.indexOf(name);
  const [id, cpid, nattch] = [at('shmid'), at('cpid'), at('nattch')];
  if (id < 0 || cpid < 0 || nattch < 0) return [];
  return rows.flatMap((row) => {
    const fields = row.trim().split(/\s+/);
    return Number(fields[cpid]) === creatorPid && Number(fields[nattch]) === 0 ? [Number(fields[id])] : [];
  });
}
