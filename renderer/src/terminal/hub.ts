import { api } from '../store/api.js';
import { TerminalHub } from './terminalHub.js';

let hub: TerminalHub | undefined;

/** The page's one TerminalHub: every view of a terminal shares its attach (see terminalHub.ts). */
export function terminalHub(): TerminalHub {
  hub ??= new TerminalHub(api());
  return hub;
}
