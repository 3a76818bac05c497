import type Dockerode from 'dockerode';
import { HabitatError } from '../../shared/protocol/index.js';
import type { DockerEngine } from './DockerEngine.js';
import { engineStatus } from './errors.js';
import { LABELS, managedFilter, type ContainerIdentity } from './labels.js';

/**
 * Off, the bridge driver drops traffic between the network's own containers (iptables, with bridge netfilter on),
 * while each still reaches the outside through the host's NAT and the network's embedded DNS (127.0.0.11).
 */
const ICC_OPTION = 'com.docker.network.bridge.enable_icc';

/** The network of one kernel instance's networked agents on an engine (names of networks are per engine). */
export function agentNetworkName(instance: string): string {
  return `habitat-${instance}-agents`;
}

/** Networks being found or made, per engine and instance: spawns at the same moment share one (see below). */
const pending = new WeakMap<DockerEngine, Map<string, Promise<string>>>();

/**
 * The user-defined bridge that agents granted network join, made on first use and then reused; its id. On Docker's
 * default bridge (docker0) every container reaches every other, so one agent could read what another serves; here
 * inter-container traffic is off, so agents reach the internet but not each other. The host stays reachable at the
 * network's gateway (see README: host services bound to all interfaces are exposed to networked agents). Labelled
 * like the kernel's containers, so removeUnusedAgentNetworks finds it. Refuses (E_CONFLICT) a network of that name
 * that lets containers talk, rather than put agents on it.
 */
export function ensureAgentNetwork(engine: DockerEngine, identity: ContainerIdentity): Promise<string> {
  // Docker checks a new network's name only on a best-effort basis (API 1.41 made two of one name for two creates at
  // once), so this kernel's spawns wait for one lookup instead of racing their own
  let forEngine = pending.get(engine);
  if (!forEngine) pending.set(engine, (forEngine = new Map()));
  const inFlight = forEngine.get(identity.instance);
  if (inFlight) return inFlight;
  const lookup = findOrCreate(engine, identity).finally(() => forEngine.delete(identity.instance));
  forEngine.set(identity.instance, lookup);
  return lookup;
}

async function findOrCreate(engine: DockerEngine, identity: ContainerIdentity): Promise<string> {
  const name = agentNetworkName(identity.instance);
  for (let attempt = 0; ; attempt++) {
    const existing = await findNetwork(engine, name);
    if (existing) {
      assertIsolating(existing, name);
      return existing.Id;
    }
    try {
      const network = await engine.call('create the agents network', (abortSignal) =>
        engine.docker.createNetwork({
          Name: name,
          Driver: 'bridge',
          CheckDuplicate: true,
          Internal: false,
          Attachable: false,
          Labels: {
            [LABELS.managed]: '1',
            [LABELS.instance]: identity.instance,
            [LABELS.version]: identity.version,
          },
          Options: { [ICC_OPTION]: 'false' },
          abortSignal,
        }),
      );
      return network.id;
    } catch (error) {
      // made meanwhile by someone else on this engine: use that one (looked up on the next round)
      if (engineStatus(error) !== 409 || attempt > 0) throw error;
    }
  }
}

/**
 * The network of that exact name (the engine's filter matches parts of names). Where two exist (an engine older than
 * API 1.44 can make them), always the oldest, so every agent joins the same one; the other stays unused and goes
 * with removeUnusedAgentNetworks.
 */
async function findNetwork(
  engine: DockerEngine,
  name: string,
): Promise<Dockerode.NetworkInspectInfo | undefined> {
  const networks = await engine.call('list networks', (abortSignal) =>
    engine.docker.listNetworks({ filters: { name: [name] }, abortSignal }),
  );
  return networks
    .filter((network) => network.Name === name)
    .sort((a, b) => Date.parse(a.Created) - Date.parse(b.Created) || (a.Id < b.Id ? -1 : 1))[0];
}

/**
 * Removes the instance's agent networks that no container uses (after its agents ended: at kernel close, after
 * boot reconciliation); one joined meanwhile is left alone, since the engine refuses to remove it. Returns the names
 * removed. Never touches another instance's networks or any network Habitat did not make.
 */
export async function removeUnusedAgentNetworks(engine: DockerEngine, instance: string): Promise<string[]> {
  const networks = await engine.call('list networks', (abortSignal) =>
    engine.docker.listNetworks({ filters: { label: managedFilter(instance) }, abortSignal }),
  );
  const removed: string[] = [];
  for (const { Id: id, Name: name } of networks) {
    const info = await inspectNetwork(engine, id);
    if (!info || Object.keys(info.Containers ?? {}).length > 0) continue;
    try {
      await engine.call('remove the agents network', (abortSignal) =>
        engine.docker.getNetwork(info.Id).remove({ abortSignal }),
      );
      removed.push(name);
    } catch (error) {
      // gone already (404), or a container joined it since the inspect (403 "has active endpoints")
      const status = engineStatus(error);
      if (status !== 404 && status !== 403 && status !== 409) throw error;
    }
  }
  return removed;
}

/** The network with its containers (the engine's list leaves them out), or undefined if it is gone. */
async function inspectNetwork(
  engine: DockerEngine,
  id: string,
): Promise<Dockerode.NetworkInspectInfo | undefined> {
  try {
    // dockerode's network inspect takes no signal: the call's deadline still bounds it
    return await engine.call('inspect the agents network', () => engine.docker.getNetwork(id).inspect());
  } catch (error) {
    if (engineStatus(error) === 404) return undefined;
    throw error;
  }
}

function assertIsolating(info: Dockerode.NetworkInspectInfo, name: string): void {
  if (info.Driver === 'bridge' && info.Options?.[ICC_OPTION] === 'false') return;
  throw new HabitatError(
    'E_CONFLICT',
    `the Docker network ${name} exists but lets its containers reach each other (not made by Habitat?): ` +
      `remove it (docker network rm ${name}) and Habitat makes its own`,
    { network: name },
  );
}
