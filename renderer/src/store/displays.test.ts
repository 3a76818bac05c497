import { describe, expect, it } from 'vitest';
import { applyDisplay, displayMap, hasDesktop, shouldAskForDisplay } from './displays.js';
import { agent, display } from './testing.js';

const container = (pid: number, patch: Parameters<typeof agent>[1] = {}) =>
  agent(pid, {
    sandbox: { ...agent(pid).sandbox, kind: 'docker', isolation: 'container' },
    ...patch,
  });

describe("graphical agents' displays in the UI", () => {
  it('a list replaces what was known; an event updates one display, and changes nothing when nothing changed', () => {
    const map = displayMap([display(3), display(5, { state: 'starting' })]);
    expect(Object.keys(map)).toEqual(['3', '5']);
    expect(applyDisplay(map, display(3))).toBe(map);
    const viewersOnly = applyDisplay(map, display(3, { viewers: { view: 2, control: 0 } }));
    expect(viewersOnly).toBe(map); // viewer counts move all the time and show nowhere
    const restarted = applyDisplay(map, display(3, { restarts: 1, reason: 'x11vnc hung' }));
    expect(restarted).not.toBe(map);
    expect(restarted[3]!.restarts).toBe(1);
    expect(restarted[5]).toBe(map[5]);
    expect(applyDisplay(map, display(9))[9]!.state).toBe('ready');
  });

  it('an agent has a desktop while it lives and its display has not stopped', () => {
    expect(hasDesktop(container(3), display(3))).toBe(true);
    expect(hasDesktop(container(3), display(3, { state: 'starting' }))).toBe(true);
    expect(hasDesktop(container(3), display(3, { state: 'failed', reason: 'Xvfb died' }))).toBe(true);
    expect(hasDesktop(container(3), display(3, { state: 'stopped' }))).toBe(false);
    expect(hasDesktop(container(3), undefined)).toBe(false);
    expect(hasDesktop(container(3, { state: 'zombie', phase: 'completed' }), display(3))).toBe(false);
    expect(hasDesktop(container(3, { state: 'stopped' }), display(3))).toBe(true); // paused, still there
  });

  it('asks about a container agent once it has started, once, and never about host agents', () => {
    const asked = new Set<number>();
    expect(shouldAskForDisplay(container(4, { state: 'created' }), {}, asked)).toBe(false);
    expect(shouldAskForDisplay(container(4), {}, asked)).toBe(true);
    expect(shouldAskForDisplay(container(4, { phase: 'thinking' }), {}, asked)).toBe(false);
    expect(shouldAskForDisplay(agent(6), {}, asked)).toBe(false);
    expect(shouldAskForDisplay(container(7), displayMap([display(7)]), asked)).toBe(false); // known already
    expect(shouldAskForDisplay(container(8, { state: 'dead', phase: 'failed' }), {}, asked)).toBe(false);
  });
});
