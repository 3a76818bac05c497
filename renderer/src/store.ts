import { create } from 'zustand';
import type { ConnectionState, HabitatApi } from '../../shared/client/index.js';
import type { SystemInfo, SystemStats } from '../../shared/protocol/index.js';

export interface KernelStore {
  connection: ConnectionState | 'no-token';
  info: SystemInfo | undefined;
  stats: SystemStats | undefined;
  error: string | undefined;
}

export const useKernel = create<KernelStore>(() => ({
  connection: 'connecting',
  info: undefined,
  stats: undefined,
  error: undefined,
}));

/** Keeps the store current from the bridge: re-reads facts on every (re)connect, then follows the events. */
export function bindKernelStore(api: HabitatApi): () => void {
  const refresh = (): void => {
    api.call('system.info', {}).then(
      (info) => useKernel.setState({ info, error: undefined }),
      (error: unknown) =>
        useKernel.setState({ error: error instanceof Error ? error.message : String(error) }),
    );
  };
  const offState = api.onConnectionChange((connection) => {
    useKernel.setState({ connection });
    if (connection === 'open') refresh();
  });
  const offStats = api.subscribe('system.stats', (stats) => useKernel.setState({ stats }));
  useKernel.setState({ connection: api.getConnectionState() });
  if (api.getConnectionState() === 'open') refresh();
  return () => {
    offState();
    offStats();
  };
}
