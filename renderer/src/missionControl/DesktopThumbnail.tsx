import { memo, useRef, useState } from 'react';
import type { ProcessInfo, VncDisplay } from '../../../shared/protocol/index.js';
import { api } from '../store/api.js';
import { windows } from '../store/store.js';
import { PHASE_LABEL, VncViewer, type VncPhase } from '../vnc/index.js';
import { lastFrame, rememberFrame } from './frames.js';
import { useOnScreen } from './useOnScreen.js';

/**
 * A graphical agent's card shows its desktop live, view-only, through noVNC. Only a card that is on screen (and in
 * a window a person can see) holds a connection: the grid mounts a row beyond the view, and a card must stay in view
 * a moment before it connects, so scrolling through a hundred agents opens none. A card that goes off screen keeps
 * a small picture of its last frame, shown at once when it comes back while the viewer reconnects.
 */
export const DesktopThumbnail = memo(function DesktopThumbnail({
  agent,
  display,
  active,
}: {
  agent: ProcessInfo;
  display: VncDisplay;
  active: boolean;
}) {
  const ref = useRef<HTMLButtonElement>(null);
  const onScreen = useOnScreen(ref);
  const live = active && onScreen;
  const [phase, setPhase] = useState<VncPhase | undefined>(undefined);
  const [picture, setPicture] = useState(() => lastFrame(agent.pid));
  const state = live ? PHASE_LABEL[phase ?? 'connecting'] : 'paused while out of view';
  return (
    <button
      ref={ref}
      type="button"
      className="card-desktop"
      onClick={() => windows.openAgent(agent.pid, 'desktop')}
      aria-label={`Open ${agent.name}'s desktop (${display.width}×${display.height}, ${state.toLowerCase()})`}
      title={`Open ${agent.name}'s desktop (${display.width}×${display.height})`}
      data-testid="desktop-thumbnail"
      data-live={live && phase === 'connected' ? 'true' : 'false'}
    >
      {picture && phase !== 'connected' && <img className="card-desktop-frame" src={picture} alt="" />}
      {live && (
        <VncViewer
          api={api()}
          pid={agent.pid}
          label={agent.name}
          variant="thumbnail"
          onStatus={(status) => setPhase(status.phase)}
          onClose={(canvas) => {
            const frame = rememberFrame(agent.pid, canvas);
            if (frame) setPicture(frame);
            setPhase(undefined);
          }}
        />
      )}
      <span className={`card-desktop-state${live && phase === 'connected' ? ' is-live' : ''}`}>
        {live ? PHASE_LABEL[phase ?? 'connecting'] : 'Paused'}
      </span>
    </button>
  );
});
