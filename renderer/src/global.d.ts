import type { PreloadBridge } from '../../shared/client/contextBridge';

declare global {
  interface Window {
    /**
     * Present inside the Electron app (preload; its calls resolve with envelopes, see fromPreloadBridge); absent in a
     * browser, where the WebSocket client stands in.
     */
    habitat?: PreloadBridge;
  }
}
