import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectApi } from './api.js';
import { App } from './App.js';
import { bindKernelStore, useKernel } from './store.js';
import { WithVncRoutes } from './vnc/index.js';
import './styles.css';

const origin = connectApi();
if (origin.kind === 'no-token') useKernel.setState({ connection: 'no-token' });
else bindKernelStore(origin.api);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    {origin.kind === 'no-token' ? (
      <App />
    ) : (
      <WithVncRoutes api={origin.api}>
        <App />
      </WithVncRoutes>
    )}
  </StrictMode>,
);
