import { beforeEach, describe, expect, it } from 'vitest';
import { applyBoot, parseBoot } from './boot.js';
import { initialState, useHabitat } from './store.js';
import { bindStore } from './bind.js';
import { agent, FakeApi } from './testing.js';

const info = { name: 'Habitat', version: '1.0.0' };
const sent = (processes: unknown, systemInfo: unknown = info) =>
  JSON.stringify({ 'system.info': systemInfo, 'process.list': { processes } });

/** A page's document, as far as applyBoot looks at it. */
function page(text: string | null): { doc: Document; removed: () => boolean } {
  let removed = false;
  const element = text === null ? null : { textContent: text, remove: () => (removed = true) };
  const getElementById = (id: string) => (id === 'habitat-boot' ? element : null);
  return { doc: { getElementById } as unknown as Document, removed: () => removed };
}

beforeEach(() => useHabitat.setState(initialState()));

describe("the page's first data", () => {
  it('puts the agents and the system info in the store, and removes the block', () => {
    const { doc, removed } = page(sent([agent(1, { name: 'scout' }), agent(2)]));
    applyBoot(doc);
    const state = useHabitat.getState();
    expect(Object.keys(state.agents)).toEqual(['1', '2']);
    expect(state.agents[1]!.name).toBe('scout');
    expect(state.agentsLoaded).toBe(true);
    expect(state.info).toEqual(info);
    expect(state.agentsFromPage).toBe(true);
    expect(removed()).toBe(true);
  });

  it("is replaced by the socket's own list when it comes (an agent may have started in between)", async () => {
    applyBoot(page(sent([agent(1)])).doc);
    const api = new FakeApi();
    api.auto.set('process.list', () => ({ processes: [agent(1), agent(2, { name: 'newcomer' })] }));
    const off = bindStore(api, (run) => run());
    await new Promise((resolve) => setTimeout(resolve, 0));
    const state = useHabitat.getState();
    expect(state.agents[2]?.name).toBe('newcomer');
    expect(state.agentsFromPage).toBe(false);
    off();
  });

  it('is ignored when absent, not JSON, or not in the shape the first paint relies on', () => {
    for (const text of [
      null,
      '',
      '{"system.info":',
      'null',
      '[]',
      sent('not a list'),
      sent([{ pid: '1' }]),
      sent([null]),
      sent([agent(1)], null),
      JSON.stringify({ 'system.info': info }),
    ]) {
      expect(parseBoot(text), String(text)).toBeUndefined();
      applyBoot(page(text).doc);
      expect(useHabitat.getState().agentsLoaded, String(text)).toBe(false);
    }
  });
});
