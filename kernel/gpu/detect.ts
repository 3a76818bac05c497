import { execFile } from 'node:child_process';
import type { ErrorValue, GpuDevice } from '../../shared/protocol/index.js';
import { NVIDIA_SMI_ARGS, parseNvidiaSmi } from './parse.js';

/**
 * What one nvidia-smi query found. `missing`: the tool is not installed, which is the normal state of a machine
 * without NVIDIA GPUs and no error. `failed`: it is installed but gave no usable answer (no driver, a hang, garbage).
 */
export type Detection =
  | { status: 'ok'; devices: GpuDevice[] }
  | { status: 'missing'; devices: [] }
  | { status: 'failed'; devices: []; error: ErrorValue };

export interface QueryOptions {
  /** The program to run: a path, or a name looked up on PATH (default 'nvidia-smi'). */
  nvidiaSmi?: string;
  timeoutMs?: number;
}

/** The real tool answers in well under a second; a wedged driver can make it hang for minutes. */
const DEFAULT_TIMEOUT_MS = 5_000;

/** Runs nvidia-smi once (no shell) and parses what it prints. Never throws. */
export function queryGpus(options: QueryOptions = {}): Promise<Detection> {
  const file = options.nvidiaSmi ?? 'nvidia-smi';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve) => {
    execFile(
      file,
      NVIDIA_SMI_ARGS,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024, windowsHide: true },
      (error, stdout, stderr) => resolve(interpret(error, String(stdout), String(stderr), timeoutMs)),
    );
  });
}

function interpret(
  error: (Error & { code?: unknown; killed?: boolean }) | null,
  stdout: string,
  stderr: string,
  timeoutMs: number,
): Detection {
  if (error?.code === 'ENOENT') return { status: 'missing', devices: [] };
  // With the driver loaded but no device, the real tool says so and exits 6.
  if (/^\s*No devices were found\s*$/i.test(stdout)) return { status: 'ok', devices: [] };
  if (error) {
    if (error.killed) {
      return failed('E_TIMEOUT', `nvidia-smi did not answer within ${timeoutMs} ms`);
    }
    const said = firstLine(stderr) || firstLine(stdout) || error.message;
    const exit = typeof error.code === 'number' ? ` (exit ${error.code})` : '';
    return failed('E_UNAVAILABLE', `nvidia-smi failed${exit}: ${said}`);
  }
  const parsed = parseNvidiaSmi(stdout);
  return parsed.ok
    ? { status: 'ok', devices: parsed.devices }
    : { status: 'failed', devices: [], error: parsed.error };
}

function failed(code: ErrorValue['code'], message: string): Detection {
  return { status: 'failed', devices: [], error: { code, message } };
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean)
      ?.slice(0, 300) ?? ''
  );
}
