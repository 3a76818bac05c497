import { Desktop } from './desktop/Desktop.js';
import { useHabitat } from './store/store.js';

export function App() {
  const noToken = useHabitat((s) => s.connection === 'no-token');
  if (noToken) {
    return (
      <main className="app-gate">
        <section className="card" aria-labelledby="gate-title">
          <h1 id="gate-title">Habitat</h1>
          <p>
            Open the address that <code>habitat serve</code> printed: it carries the access token for this
            host.
          </p>
        </section>
      </main>
    );
  }
  return <Desktop />;
}
