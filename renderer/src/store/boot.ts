import { BOOT_ELEMENT_ID } from '../../../shared/protocol/envelope.js';
import type { ProcessInfo, SystemInfo } from '../../../shared/protocol/index.js';
import { kernel } from './store.js';

export interface BootData {
  info: SystemInfo;
  processes: ProcessInfo[];
}

/**
 * The first data a headless host sent with the page (the answers to system.info and process.list, see
 * main/host/bootData.ts), or undefined: none sent (the desktop app, a reload without the token), or not in the shape
 * it should have. Only the shape the first paint relies on is checked: the socket's answers soon replace it all.
 */
export function parseBoot(text: string | null | undefined): BootData | undefined {
  if (!text) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  const info = (data as { 'system.info'?: unknown } | null)?.['system.info'];
  const processes = (data as { 'process.list'?: { processes?: unknown } } | null)?.['process.list']
    ?.processes;
  if (typeof info !== 'object' || info === null || !Array.isArray(processes)) return undefined;
  const agent = (p: unknown): boolean =>
    typeof p === 'object' && p !== null && Number.isInteger((p as { pid?: unknown }).pid);
  if (!processes.every(agent)) return undefined;
  return { info: info as SystemInfo, processes: processes as ProcessInfo[] };
}

/**
 * Puts the page's first data in the store, before the socket's answers (which replace it): Mission Control draws its
 * agents with the first render. Reads the block once and removes it.
 */
export function applyBoot(doc: Document = document): void {
  const element = doc.getElementById(BOOT_ELEMENT_ID);
  const boot = parseBoot(element?.textContent);
  element?.remove();
  if (!boot) return;
  kernel.info(boot.info);
  kernel.processes(boot.processes, true);
}
