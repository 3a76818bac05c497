import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerForTests } from '../../test/docker.js';
import { agentNetworkName, ensureAgentNetwork, removeUnusedAgentNetworks } from './agentNetwork.js';
import { DockerEngine } from './DockerEngine.js';
import { dockerTestbed, IMAGE_BUILD_TIMEOUT_MS, type Testbed } from './testing/testbed.js';

const docker = await dockerForTests('agent networks');

describe.skipIf(!docker)("Habitat's agents network", () => {
  let bed: Testbed;
  let engine: DockerEngine;
  const identity = (instance: string) => ({ instance, version: 'test' });
  const others: string[] = [];
  const other = (): string => {
    const instance = `test-net-${randomUUID().slice(0, 8)}`;
    others.push(instance);
    return instance;
  };
  const networksNamed = async (name: string) =>
    (await docker!.listNetworks({ filters: { name: [name] } })).filter((n) => n.Name === name);

  beforeAll(async () => {
    bed = await dockerTestbed(docker!, 'network');
    engine = bed.engine;
  }, IMAGE_BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await bed?.cleanup();
    for (const instance of others) {
      for (const network of await networksNamed(agentNetworkName(instance))) {
        await docker!.getNetwork(network.Id).remove();
      }
    }
  });

  it('is made once, labelled and isolating, even for spawns at the same moment, then reused', async () => {
    const ids = await Promise.all([1, 2, 3, 4].map(() => ensureAgentNetwork(engine, identity(bed.instance))));
    expect(new Set(ids).size).toBe(1);
    const networks = await networksNamed(agentNetworkName(bed.instance));
    expect(networks.map((n) => n.Id)).toEqual([ids[0]]);
    const info = await docker!.getNetwork(ids[0]!).inspect();
    expect(info).toMatchObject({
      Driver: 'bridge',
      Internal: false,
      Labels: {
        'dev.habitat.managed': '1',
        'dev.habitat.instance': bed.instance,
        'dev.habitat.version': 'test',
      },
      Options: { 'com.docker.network.bridge.enable_icc': 'false' },
    });
    // a second client of the same engine (another kernel object) finds it too
    expect(await ensureAgentNetwork(new DockerEngine(docker!), identity(bed.instance))).toBe(ids[0]);
  });

  it('refuses a network of its name that lets containers talk to each other', async () => {
    const instance = other();
    await docker!.createNetwork({ Name: agentNetworkName(instance), Driver: 'bridge' });
    await expect(ensureAgentNetwork(engine, identity(instance))).rejects.toMatchObject({
      code: 'E_CONFLICT',
      message: expect.stringContaining(`docker network rm ${agentNetworkName(instance)}`) as string,
    });
  });

  it('is removed once no agent uses it, and only this instance’s', async () => {
    const agent = await bed.agent(1, { network: true });
    const neighbour = other();
    await ensureAgentNetwork(engine, identity(neighbour));
    expect(await removeUnusedAgentNetworks(engine, bed.instance)).toEqual([]);
    expect(await networksNamed(agentNetworkName(bed.instance))).toHaveLength(1);
    await agent.remove();
    expect(await removeUnusedAgentNetworks(engine, bed.instance)).toEqual([agentNetworkName(bed.instance)]);
    expect(await networksNamed(agentNetworkName(bed.instance))).toEqual([]);
    expect(await networksNamed(agentNetworkName(neighbour))).toHaveLength(1);
    // the next networked agent gets a new one
    const again = await bed.agent(2, { network: true });
    expect(Object.keys((await again.inspect()).NetworkSettings.Networks)).toEqual([
      agentNetworkName(bed.instance),
    ]);
  });
});
