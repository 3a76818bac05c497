import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectApi } from './api.js';
import { App } from './App.js';
import { applyTheme, resolveTheme, systemScheme } from './desktop/theme.js';
import { setApi } from './store/api.js';
import { bindStore } from './store/bind.js';
import { applyBoot } from './store/boot.js';
import { kernel, useHabitat } from './store/store.js';
import { startWorkspace } from './store/workspace.js';
import { detachedAgent, startDetached } from './detached.js';
import './styles.css';

const origin = connectApi();
if (origin.kind === 'no-token') kernel.connection('no-token');
else {
  setApi(origin.api);
  // before the store's own calls: their answers, when they come, replace the data sent with the page
  applyBoot();
  bindStore(origin.api);
  const pid = detachedAgent(window.location.hash);
  // the work area is the window less the top bar and the dock; Desktop measures it exactly once mounted
  if (pid !== undefined) startDetached(pid, { w: window.innerWidth, h: window.innerHeight });
  else startWorkspace({ w: window.innerWidth, h: Math.max(200, window.innerHeight - 44 - 76) });
}

applyTheme(resolveTheme(useHabitat.getState().theme, systemScheme()));
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
