import { describe, expect, it } from 'vitest';
import { agent } from '../store/testing.js';
import { buildCommands, matchScore, rankCommands } from './smartBarCommands.js';

const agents = {
  1: agent(1, { name: 'researcher', goal: 'survey papers' }),
  2: agent(2, { name: 'writer', state: 'stopped' }),
  3: agent(3, { name: 'old-run', state: 'zombie', phase: 'completed' }),
};

describe('the Smart Bar', () => {
  it('scores prefixes above substrings above scattered letters, and refuses what is not a subsequence', () => {
    expect(matchScore('res', 'researcher')).toBeGreaterThan(matchScore('sea', 'researcher'));
    expect(matchScore('sea', 'researcher')).toBeGreaterThan(matchScore('rsr', 'researcher'));
    expect(matchScore('rsr', 'researcher')).toBeGreaterThan(0);
    expect(matchScore('xyz', 'researcher')).toBe(0);
  });

  it('offers deploying, the apps and live agents before anything is typed', () => {
    const labels = rankCommands(buildCommands(agents), '').map((c) => c.label);
    expect(labels[0]).toBe('Deploy an agent…');
    expect(labels).toContain('Open Mission Control');
    expect(labels).toContain('researcher');
    expect(labels).not.toContain('old-run');
  });

  it('jumps to an agent by name or PID, and acts on it with the signal its state allows', () => {
    const commands = buildCommands(agents);
    expect(rankCommands(commands, 'resea')[0]!.intent).toEqual({ type: 'openAgent', pid: 1 });
    expect(rankCommands(commands, 'old')[0]!.intent).toEqual({ type: 'openAgent', pid: 3 });
    const labels = commands.map((c) => c.label);
    expect(labels).toContain('Pause researcher (#1)');
    expect(labels).toContain('Resume writer (#2)');
    expect(labels).not.toContain('Pause writer (#2)');
    expect(labels.some((l) => l.includes('old-run (#3)'))).toBe(false); // ended: no signals
    expect(rankCommands(commands, 'kill writer')[0]!.intent).toEqual({
      type: 'signal',
      pid: 2,
      signal: 'KILL',
    });
  });

  it('opens apps and themes by words, and offers to deploy an agent with whatever else was typed as its goal', () => {
    const commands = buildCommands(agents);
    expect(rankCommands(commands, 'monitor')[0]!.intent).toEqual({ type: 'openApp', kind: 'monitor' });
    expect(rankCommands(commands, 'dark')[0]!.intent).toEqual({ type: 'theme', theme: 'dark' });
    const results = rankCommands(commands, 'summarise the logs');
    expect(results.at(-1)!.intent).toEqual({ type: 'deploy', goal: 'summarise the logs' });
  });
});
