// Graphical agents' displays as the UI knows them (vnc.list, vnc.started, vnc.stopped): pure functions, so the
// Agent VM, Mission Control and the tests agree on which agents have a desktop to show.
import type { ProcessInfo, VncDisplay } from '../../../shared/protocol/index.js';
import { isLive } from './agents.js';

export type DisplayMap = Readonly<Record<number, VncDisplay>>;

/** The displays vnc.list returned: they replace what was known (a resync after a reconnect). */
export function displayMap(list: Iterable<VncDisplay>): DisplayMap {
  const map: Record<number, VncDisplay> = {};
  for (const display of list) map[display.pid] = display;
  return map;
}

/** A vnc.started or vnc.stopped: the display's latest facts. Returns the same map when nothing changed. */
export function applyDisplay(displays: DisplayMap, display: VncDisplay): DisplayMap {
  const current = displays[display.pid];
  if (
    current &&
    current.state === display.state &&
    current.width === display.width &&
    current.height === display.height &&
    current.restarts === display.restarts &&
    current.reason === display.reason
  ) {
    return displays;
  }
  return { ...displays, [display.pid]: display };
}

/**
 * Whether an agent has a desktop to show: it lives and its display exists (starting, ready, restarting, or failed
 * and perhaps coming back: the viewer says which). A display that stopped went with its agent.
 */
export function hasDesktop(agent: ProcessInfo, display: VncDisplay | undefined): display is VncDisplay {
  return display !== undefined && display.state !== 'stopped' && isLive(agent);
}

/**
 * Whether a process event should make the UI ask for the displays again: a container agent that has just started
 * may be a graphical one whose display is starting (vnc.started only comes once it is ready). Each agent is asked
 * about once; `asked` remembers which.
 */
export function shouldAskForDisplay(info: ProcessInfo, displays: DisplayMap, asked: Set<number>): boolean {
  if (info.sandbox.kind !== 'docker' || info.state === 'created' || !isLive(info)) return false;
  if (asked.has(info.pid)) return false;
  asked.add(info.pid);
  return displays[info.pid] === undefined;
}
