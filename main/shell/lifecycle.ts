/** What the app does when its last window closes. */
export type AllWindowsClosedStep =
  | { action: 'quit' }
  /** Keep running in the tray; the notice, the first time only, says so and where the way out is. */
  | { action: 'stay'; notice?: { title: string; body: string } };

/**
 * Closing windows is not quitting while agents work: like Docker Desktop or Slack, the app keeps running in the tray,
 * and says so once per run; the tray's (or the menu's) Quit is the explicit way out, which stops the agents. With no
 * live agent there is nothing to keep running, and closing the last window quits (except on macOS, where apps stay
 * open without windows by convention and quit from the menu or the Dock).
 */
export class BackgroundPolicy {
  private noticed = false;

  /** `liveAgents`: agents not yet ended (created, running, sleeping or stopped). */
  onAllWindowsClosed(platform: NodeJS.Platform, liveAgents: number): AllWindowsClosedStep {
    if (platform === 'darwin') return { action: 'stay' };
    if (liveAgents <= 0) return { action: 'quit' };
    if (this.noticed) return { action: 'stay' };
    this.noticed = true;
    const agents = liveAgents === 1 ? '1 agent' : `${liveAgents} agents`;
    return {
      action: 'stay',
      notice: {
        title: `Habitat keeps running: ${agents} still at work`,
        body:
          'Closing the window does not stop them. Open Habitat again from its tray icon (or by starting it); ' +
          'Quit Habitat in the tray menu stops every agent.',
      },
    };
  }
}

/** The tray's Quit item says what quitting does to the agents that are still alive. */
export function quitLabel(liveAgents: number): string {
  if (liveAgents <= 0) return 'Quit Habitat';
  return `Quit Habitat and Stop ${liveAgents === 1 ? '1 Agent' : `${liveAgents} Agents`}`;
}
