import { Desktop } from './desktop/Desktop.js';
import { useHabitat } from './store/store.js';

export function App() {
  const connection = useHabitat((s) => s.connection);
  if (connection === 'no-token' || connection === 'refused')
    return <TokenGate refused={connection === 'refused'} />;
  return <Desktop />;
}

/**
 * A browser page without a token the host takes: none in the address or the tab, or one it refused (the host was
 * restarted and made a new one, or the address was mistyped). Either way only the address `habitat serve` printed
 * helps; the refused token is already forgotten (api.ts), so a reload lands here too rather than retry it.
 */
function TokenGate({ refused }: { refused: boolean }) {
  return (
    <main className="app-gate" data-testid="token-gate" data-refused={refused}>
      <section className="card" aria-labelledby="gate-title">
        <h1 id="gate-title">Habitat</h1>
        {refused && (
          <p role="alert">
            The host refused this page&rsquo;s access token. It makes a new one each time it starts (unless{' '}
            <code>HABITAT_TOKEN</code> sets it), so an address from before a restart no longer works.
          </p>
        )}
        <p>
          Open the address that <code>habitat serve</code> printed: it carries the access token for this host.
        </p>
      </section>
    </main>
  );
}
