// The Smart Bar's commands and how a query ranks them: pure, so the ranking is tested without a browser.
import type { ProcessInfo } from '../../../shared/protocol/index.js';
import type { AgentMap } from '../store/agents.js';
import { agentStatus, isLive } from '../store/agents.js';
import type { ThemeSetting } from '../store/store.js';
import { APPS, DOCK_APPS } from './apps.js';
import type { AppKind } from './windowManager.js';

export type CommandGroup = 'Agents' | 'Deploy' | 'Apps' | 'Actions';

export type CommandIntent =
  | { type: 'deploy'; goal?: string }
  | { type: 'openApp'; kind: AppKind }
  | { type: 'openAgent'; pid: number; tab?: string }
  | { type: 'signal'; pid: number; signal: 'STOP' | 'CONT' | 'TERM' | 'KILL' }
  | { type: 'theme'; theme: ThemeSetting }
  | { type: 'arrange' }
  | { type: 'closeAll' };

export interface Command {
  id: string;
  group: CommandGroup;
  label: string;
  hint?: string;
  /** Extra words it answers to. */
  keywords?: string;
  /** For agents: still running (only those are offered before anything is typed). */
  live?: boolean;
  intent: CommandIntent;
}

export function buildCommands(agents: AgentMap): Command[] {
  const commands: Command[] = [
    {
      id: 'deploy',
      group: 'Deploy',
      label: 'Deploy an agent…',
      keywords: 'new spawn start create',
      intent: { type: 'deploy' },
    },
  ];
  for (const kind of DOCK_APPS) {
    commands.push({
      id: `app:${kind}`,
      group: 'Apps',
      label: `Open ${APPS[kind].label}`,
      hint: APPS[kind].description,
      intent: { type: 'openApp', kind },
    });
  }
  const list = Object.values(agents).sort(byRelevance);
  for (const agent of list) {
    const status = agentStatus(agent);
    commands.push({
      id: `agent:${agent.pid}`,
      group: 'Agents',
      label: `${agent.name}`,
      hint: `#${agent.pid} · ${status}${agent.goal ? ` · ${agent.goal}` : ''}`,
      keywords: `jump go agent ${agent.pid} ${agent.role ?? ''}`,
      live: isLive(agent),
      intent: { type: 'openAgent', pid: agent.pid },
    });
  }
  for (const agent of list.filter(isLive)) {
    const who = `${agent.name} (#${agent.pid})`;
    if (agent.state === 'stopped') {
      commands.push({
        id: `cont:${agent.pid}`,
        group: 'Actions',
        label: `Resume ${who}`,
        keywords: 'continue cont',
        intent: { type: 'signal', pid: agent.pid, signal: 'CONT' },
      });
    } else {
      commands.push({
        id: `stop:${agent.pid}`,
        group: 'Actions',
        label: `Pause ${who}`,
        keywords: 'stop freeze',
        intent: { type: 'signal', pid: agent.pid, signal: 'STOP' },
      });
    }
    commands.push({
      id: `term:${agent.pid}`,
      group: 'Actions',
      label: `Stop ${who}`,
      keywords: 'term end quit',
      intent: { type: 'signal', pid: agent.pid, signal: 'TERM' },
    });
    commands.push({
      id: `kill:${agent.pid}`,
      group: 'Actions',
      label: `Kill ${who}`,
      keywords: 'sigkill force',
      intent: { type: 'signal', pid: agent.pid, signal: 'KILL' },
    });
  }
  commands.push(
    {
      id: 'theme:dark',
      group: 'Actions',
      label: 'Use the dark theme',
      keywords: 'appearance night',
      intent: { type: 'theme', theme: 'dark' },
    },
    {
      id: 'theme:light',
      group: 'Actions',
      label: 'Use the light theme',
      keywords: 'appearance day',
      intent: { type: 'theme', theme: 'light' },
    },
    {
      id: 'theme:system',
      group: 'Actions',
      label: "Follow the system's theme",
      keywords: 'appearance auto',
      intent: { type: 'theme', theme: 'system' },
    },
    {
      id: 'arrange',
      group: 'Actions',
      label: 'Arrange windows',
      keywords: 'tidy cascade layout',
      intent: { type: 'arrange' },
    },
    {
      id: 'closeAll',
      group: 'Actions',
      label: 'Close all windows',
      keywords: 'clear workspace',
      intent: { type: 'closeAll' },
    },
  );
  return commands;
}

/** Live agents first, then the most recent. */
function byRelevance(a: ProcessInfo, b: ProcessInfo): number {
  const live = Number(isLive(b)) - Number(isLive(a));
  return live !== 0 ? live : b.pid - a.pid;
}

/**
 * Scores how well a query matches a text: every query character must appear in order (a subsequence); matches at
 * word starts and in runs score higher, and an exact prefix highest. 0 means no match.
 */
export function matchScore(query: string, text: string): number {
  const q = query.toLowerCase();
  const t = text.toLowerCase();
  if (!q) return 1;
  if (t.startsWith(q)) return 1000 - t.length;
  const at = t.indexOf(q);
  if (at >= 0) return 600 - at - t.length / 100 + (isWordStart(t, at) ? 200 : 0);
  let score = 0;
  let ti = 0;
  let run = 0;
  for (const ch of q) {
    if (ch === ' ') continue;
    const found = t.indexOf(ch, ti);
    if (found < 0) return 0;
    run = found === ti ? run + 1 : 0;
    score += 1 + run * 2 + (isWordStart(t, found) ? 5 : 0);
    ti = found + 1;
  }
  return score;
}

function isWordStart(text: string, index: number): boolean {
  return index === 0 || /[\s._\-#(/]/.test(text[index - 1]!);
}

function contains(text: string | undefined, query: string): boolean {
  return text !== undefined && text.toLowerCase().includes(query.toLowerCase());
}

const EMPTY_ORDER: CommandGroup[] = ['Deploy', 'Apps', 'Agents', 'Actions'];
const MAX_RESULTS = 50;

/**
 * The commands a query shows, best first. With no query: deploying, the apps and the live agents. A query that
 * matches nothing well offers to deploy an agent with it as the goal.
 */
export function rankCommands(commands: Command[], query: string): Command[] {
  const q = query.trim();
  if (!q) {
    return commands
      .filter((c) => c.group === 'Deploy' || c.group === 'Apps' || (c.group === 'Agents' && c.live))
      .sort((a, b) => EMPTY_ORDER.indexOf(a.group) - EMPTY_ORDER.indexOf(b.group))
      .slice(0, MAX_RESULTS);
  }
  const scored = commands
    .map((command) => ({
      command,
      score: Math.max(
        // scattered letters match labels only: in keywords and hints only whole substrings count
        matchScore(q, command.label),
        contains(command.keywords, q) ? matchScore(q, command.keywords!) * 0.6 : 0,
        contains(command.hint, q) ? matchScore(q, command.hint!) * 0.4 : 0,
      ),
    }))
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, MAX_RESULTS)
    .map((s) => s.command);
  if (q.length >= 3 && !/^deploy$/i.test(q)) {
    scored.push({
      id: 'deploy:goal',
      group: 'Deploy',
      label: `Deploy an agent to: ${q}`,
      intent: { type: 'deploy', goal: q },
    });
  }
  return scored;
}
