import type { HabitatApi, Unsubscribe } from '../../../shared/client/index.js';
import type { ProcessInfo } from '../../../shared/protocol/index.js';
import { errorText } from './api.js';
import { shouldAskForDisplay } from './displays.js';
import { kernel, notices, notify, ui, useHabitat, windows } from './store.js';

const BATCH_MS = 16;
/** How long process events gather before the displays are listed again (a burst of spawns asks once). */
const DISPLAY_ASK_MS = 250;

/**
 * Keeps the store current from the bridge: on every (re)connect the facts are read again (nothing that happened
 * while disconnected is missed), then events keep them current. Process events are applied in batches of one frame,
 * so that 200 agents changing at once cost one render, not 200.
 */
export function bindStore(
  api: HabitatApi,
  schedule: (run: () => void) => void = (run) => void setTimeout(run, BATCH_MS),
): Unsubscribe {
  const offs: Unsubscribe[] = [];
  let gpuWatch: Unsubscribe | undefined;
  const pending = new Map<number, ProcessInfo>();
  /** The toast that announced each waiting request: it goes once the request is decided (the notice stays). */
  const approvalToasts = new Map<string, number>();
  let scheduled = false;

  // Displays: listed on every (re)connect, then kept by vnc.started and vnc.stopped. A container agent that has just
  // started is asked about once more, so that a display still starting shows before it is ready.
  const askedForDisplay = new Set<number>();
  let displayTimer: ReturnType<typeof setTimeout> | undefined;
  const listDisplays = (): void => {
    clearTimeout(displayTimer);
    displayTimer = undefined;
    // (a kernel without displays answers with an error: then there are none)
    api.call('vnc.list', {}).then(
      (result) => kernel.displays(result?.displays ?? []),
      () => undefined,
    );
  };
  // (the display schema comes with the first display event: zod and the schemas wait until something needs them,
  // not the first paint; the chain keeps events in order meanwhile)
  let displayEvents: Promise<unknown> = Promise.resolve();
  const onDisplay = (payload: unknown): void => {
    displayEvents = displayEvents
      .then(() => import('../../../shared/protocol/vnc.js'))
      .then(({ VncDisplaySchema }) => {
        const parsed = VncDisplaySchema.safeParse(payload);
        if (parsed.success) kernel.displayChanged(parsed.data);
      })
      .catch(() => undefined);
  };

  const flush = (): void => {
    scheduled = false;
    if (pending.size === 0) return;
    const batch = [...pending.values()];
    pending.clear();
    kernel.processChanges(batch);
    const { displays } = useHabitat.getState();
    const ask = batch.filter((info) => shouldAskForDisplay(info, displays, askedForDisplay));
    // one list for a burst of spawns
    if (ask.length > 0 && !displayTimer) displayTimer = setTimeout(listDisplays, DISPLAY_ASK_MS);
  };
  const onProcess = (info: ProcessInfo): void => {
    pending.set(info.pid, info);
    if (!scheduled) {
      scheduled = true;
      schedule(flush);
    }
  };

  const refresh = (): void => {
    api.call('system.info', {}).then(kernel.info, (error: unknown) => kernel.failed(errorText(error)));
    api.call('process.list', {}).then(
      ({ processes }) => {
        // events that arrived before this answer are older than it: the snapshot supersedes them
        pending.clear();
        kernel.processes(processes);
        // the vnc.list sent beside this one answers for these agents
        askedForDisplay.clear();
        for (const p of processes) if (p.state !== 'created') askedForDisplay.add(p.pid);
      },
      (error: unknown) => kernel.failed(errorText(error)),
    );
    // (a host without the agent runtime answers with an error: then nothing waits)
    api.call('agent.approvals', {}).then(
      (result) =>
        useHabitat.setState({
          approvals: Object.fromEntries((result?.approvals ?? []).map((a) => [a.id, a])),
        }),
      () => undefined,
    );
    listDisplays();
    api.call('gpu.list', {}).then(
      ({ gpus, warning }) => {
        kernel.gpus(gpus, warning);
        // the kernel polls nvidia-smi only while someone listens: listen only where there is something to see
        if (gpus.length > 0 && !gpuWatch) gpuWatch = api.subscribe('gpu.stats', (s) => kernel.gpus(s.gpus));
      },
      () => kernel.gpus([], null),
    );
  };

  offs.push(
    api.onConnectionChange((state) => {
      const { everConnected, connection } = useHabitat.getState();
      kernel.connection(state);
      if (state === 'open') {
        if (everConnected && connection !== 'open') notify('success', 'Reconnected to the host');
        refresh();
      } else if (state === 'reconnecting' && connection === 'open') {
        notify(
          'warning',
          'Connection to the host lost',
          'Reconnecting… the view resynchronises once it is back.',
        );
      }
    }),
    api.subscribe('system.stats', kernel.stats),
    api.subscribe('process.spawned', onProcess),
    api.subscribe('process.changed', onProcess),
    api.subscribe('vnc.started.*', onDisplay),
    api.subscribe('vnc.stopped.*', onDisplay),
    // a slow page missed events: read the state again rather than trust what it has
    api.subscribe('bridge.dropped', refresh),
    // the desktop app's shell: a notification or the tray asks to show an agent; the menu or shortcut the Smart Bar
    api.subscribe('app.focusAgent', ({ pid }) => windows.openAgent(pid)),
    api.subscribe('app.smartBar', () => ui.openSmartBar()),
    // actions waiting for a person: kept by request, announced once
    api.subscribe('agent.approval', ({ change, request }) => {
      const approvals = { ...useHabitat.getState().approvals };
      if (change === 'requested') {
        if (!approvals[request.id]) {
          const toast =
            request.question !== undefined
              ? notify('warning', `Agent ${request.pid} asks you a question`, request.question, request.pid)
              : notify('warning', `Agent ${request.pid} waits for your approval`, request.tool, request.pid);
          approvalToasts.set(request.id, toast);
        }
        approvals[request.id] = request;
      } else {
        delete approvals[request.id];
        const toast = approvalToasts.get(request.id);
        approvalToasts.delete(request.id);
        if (toast !== undefined) notices.dismissToast(toast);
      }
      useHabitat.setState({ approvals });
    }),
  );
  kernel.connection(api.getConnectionState());
  if (api.getConnectionState() === 'open') refresh();
  return () => {
    for (const off of offs) off();
    gpuWatch?.();
    clearTimeout(displayTimer);
  };
}
