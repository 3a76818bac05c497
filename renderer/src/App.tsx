import { KernelStatus } from './components/KernelStatus.js';

export function App() {
  return (
    <main className="app">
      <KernelStatus />
    </main>
  );
}
