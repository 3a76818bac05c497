import { lazy, Suspense, useEffect } from 'react';
import { useHabitat } from '../store/store.js';

const load = () => import('./DeployDialog.js');
const Dialog = lazy(load);

/**
 * Where the Deploy dialog appears when asked for. Its code loads once the desktop has listed the agents and the page
 * is idle, so that it opens at once later without delaying the first paint.
 */
export function DeployDialog() {
  const request = useHabitat((s) => s.deploy);
  const listed = useHabitat((s) => s.agentsLoaded);
  useEffect(() => {
    if (!listed) return;
    const idle = window.requestIdleCallback ?? ((run: () => void) => window.setTimeout(run, 500));
    idle(() => void load().catch(() => undefined));
  }, [listed]);
  if (!request) return null;
  return (
    <Suspense fallback={null}>
      <Dialog initialGoal={request.goal ?? ''} />
    </Suspense>
  );
}
