import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { connect } from '../main/cli/connect.js';
import type { WebSocketClient } from '../shared/client/index.js';
import { AgentEventSchema, type AgentEvent } from '../shared/protocol/index.js';
import { servedCli } from './servedCli.js';

/** servedCli, and every agent event its host streams, collected over one WebSocket. */
export function servedAgents(env: NodeJS.ProcessEnv) {
  const { run, json, dataDir } = servedCli(env, 'habitat-agent-runs-');
  let client: WebSocketClient;
  const events: AgentEvent[] = [];
  const of = (pid: number) => events.filter((e) => e.pid === pid);
  const home = (pid: number) => join(dataDir, 'homes', String(pid));

  // after servedCli's: the host is up
  beforeAll(async () => {
    client = await connect({ dataDir });
    // every agent's events: agent.event.<pid> for any pid
    client.subscribe('agent.*', (payload, topic) => {
      if (topic.startsWith('agent.event.')) events.push(AgentEventSchema.parse(payload));
    });
  });
  afterAll(() => client?.close());
  return { run, json, of, home, events, client: () => client };
}
