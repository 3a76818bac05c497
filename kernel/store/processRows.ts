import { HabitatError } from '../../shared/protocol/index.js';
import { PROCESS_PHASES, PROCESS_STATES, type ProcessRecord } from './types.js';

/** A process as the processes table holds it: sandbox and config as JSON text. */
export interface ProcessRow {
  pid: number;
  ppid: number | null;
  name: string;
  role: string | null;
  goal: string | null;
  state: string;
  phase: string;
  sandbox: string;
  config: string;
  boot_id: string;
  created_at: string;
  ended_at: string | null;
  exit_code: number | null;
  exit_reason: string | null;
  /** JSON array of GPU UUIDs. */
  gpus: string;
}

export const PROCESS_COLUMNS =
  'pid, ppid, name, role, goal, state, phase, sandbox, config, boot_id, created_at, ended_at, exit_code, exit_reason, gpus';

export function toRecord(row: ProcessRow): ProcessRecord {
  return {
    pid: row.pid,
    ppid: row.ppid,
    name: row.name,
    role: row.role,
    goal: row.goal,
    state: row.state as ProcessRecord['state'],
    phase: row.phase as ProcessRecord['phase'],
    sandbox: JSON.parse(row.sandbox) as ProcessRecord['sandbox'],
    config: JSON.parse(row.config) as ProcessRecord['config'],
    bootId: row.boot_id,
    createdAt: row.created_at,
    endedAt: row.ended_at,
    exitCode: row.exit_code,
    exitReason: row.exit_reason,
    gpus: JSON.parse(row.gpus) as string[],
  };
}

/**
 * The row for a record, after the checks the type system cannot make for callers that build records from
 * parsed input. `lastPid` is the highest PID ever allocated: storing a higher one would let allocatePid hand it out
 * again later, over the stored process.
 */
export function toRow(record: ProcessRecord, lastPid: number): ProcessRow {
  const invalid = (message: string) => new HabitatError('E_INVALID', message, { pid: record.pid });
  if (!Number.isSafeInteger(record.pid) || record.pid < 1) throw invalid('pid must be a positive integer');
  if (record.pid > lastPid) {
    throw invalid(`pid ${record.pid} was never allocated (the last is ${lastPid}): use allocatePid`);
  }
  if (record.ppid !== null && !Number.isSafeInteger(record.ppid))
    throw invalid('ppid must be an integer or null');
  if (!(PROCESS_STATES as readonly string[]).includes(record.state))
    throw invalid(`unknown state ${record.state}`);
  if (!(PROCESS_PHASES as readonly string[]).includes(record.phase))
    throw invalid(`unknown phase ${record.phase}`);
  if (!Array.isArray(record.gpus) || !record.gpus.every((uuid) => typeof uuid === 'string'))
    throw invalid('gpus must be a list of GPU UUIDs');
  return {
    pid: record.pid,
    ppid: record.ppid,
    name: record.name,
    role: record.role,
    goal: record.goal,
    state: record.state,
    phase: record.phase,
    sandbox: toJson(record.sandbox, 'sandbox', record.pid),
    config: toJson(record.config, 'config', record.pid),
    boot_id: record.bootId,
    created_at: record.createdAt,
    ended_at: record.endedAt,
    exit_code: record.exitCode,
    exit_reason: record.exitReason,
    gpus: toJson(record.gpus, 'gpus', record.pid),
  };
}

/** JSON text of a value, or E_INVALID for what JSON cannot hold (BigInt, cycles). */
export function toJson(value: unknown, field: string, pid: number | null): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new HabitatError('E_INVALID', `${field} is not serializable as JSON: ${(error as Error).message}`, {
      pid,
    });
  }
  if (text === undefined)
    throw new HabitatError('E_INVALID', `${field} is not serializable as JSON`, { pid });
  return text;
}
