import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectApi } from './api.js';
import { App } from './App.js';
import { bindKernelStore, useKernel } from './store.js';
import './styles.css';

const origin = connectApi();
if (origin.kind === 'no-token') useKernel.setState({ connection: 'no-token' });
else bindKernelStore(origin.api);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
