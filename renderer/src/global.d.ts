import type { HabitatApi } from '../../shared/client/types';

declare global {
  interface Window {
    /** Present inside the Electron app (preload); absent in a browser, where the WebSocket client stands in. */
    habitat?: HabitatApi;
  }
}
