/** The part of electron-updater's autoUpdater the app drives (a fake stands in for it in tests). */
export interface Updater {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  /** An unpackaged app reads dev-app-update.yml only when this is set. */
  forceDevUpdateConfig: boolean;
  setFeedURL(options: { provider: 'generic'; url: string }): void;
  checkForUpdates(): Promise<unknown>;
  downloadUpdate(): Promise<unknown>;
  quitAndInstall(): void;
  on(event: 'checking-for-update' | 'update-not-available', listener: () => void): unknown;
  on(event: 'update-available' | 'update-downloaded', listener: (info: { version: string }) => void): unknown;
  on(event: 'download-progress', listener: (progress: { percent: number }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export type UpdateState =
  | { state: 'idle' }
  | { state: 'checking' }
  | { state: 'none' }
  | { state: 'available'; version: string }
  | { state: 'downloading'; version: string; percent: number }
  | { state: 'ready'; version: string }
  | { state: 'error'; message: string };

/**
 * Updates with consent: the app checks (at start and from the menu) and says what it found; downloading and
 * installing happen only when the person asks. Every change of state goes to `publish` (the UI's progress).
 */
export class UpdateController {
  private current: UpdateState = { state: 'idle' };

  constructor(
    private readonly updater: Updater,
    /** The feed: a generic provider's URL; otherwise the packaged app-update.yml (dev-app-update.yml unpackaged). */
    feed: { url?: string; packaged: boolean },
    private readonly publish: (state: UpdateState) => void,
  ) {
    updater.autoDownload = false;
    updater.autoInstallOnAppQuit = false;
    if (feed.url) updater.setFeedURL({ provider: 'generic', url: feed.url });
    else if (!feed.packaged) updater.forceDevUpdateConfig = true;
    updater.on('checking-for-update', () => this.set({ state: 'checking' }));
    updater.on('update-not-available', () => this.set({ state: 'none' }));
    updater.on('update-available', (info) => this.set({ state: 'available', version: info.version }));
    updater.on('download-progress', (progress) =>
      this.set({
        state: 'downloading',
        version: this.version(),
        percent: Math.round(progress.percent * 10) / 10,
      }),
    );
    updater.on('update-downloaded', (info) => this.set({ state: 'ready', version: info.version }));
    updater.on('error', (error) => this.set({ state: 'error', message: error.message }));
  }

  get state(): UpdateState {
    return this.current;
  }

  async check(): Promise<UpdateState> {
    try {
      await this.updater.checkForUpdates();
    } catch (error) {
      this.set({ state: 'error', message: (error as Error).message });
    }
    return this.current;
  }

  /** The person agreed to download the update the check found. */
  async download(): Promise<void> {
    if (this.current.state !== 'available') throw new Error('there is no update to download: check first');
    this.set({ state: 'downloading', version: this.current.version, percent: 0 });
    await this.updater.downloadUpdate();
  }

  /** The person agreed to restart into the downloaded update. */
  install(): void {
    if (this.current.state !== 'ready') throw new Error('no update has been downloaded');
    this.updater.quitAndInstall();
  }

  private version(): string {
    return 'version' in this.current ? this.current.version : '';
  }

  private set(state: UpdateState): void {
    this.current = state;
    this.publish(state);
  }
}
