import type { Kernel } from '../../kernel/index.js';
import type { Handlers } from '../bridge/index.js';

/**
 * Graphical agents' displays: tickets for the host's VNC proxy (view-only, or in control: takeover is explicit),
 * handing control back, programs started on a display, and screenshots read from its framebuffer.
 */
export function vncHandlers(kernel: Kernel): Handlers {
  const { displays } = kernel;
  return {
    'vnc.list': () => ({ displays: displays.list() }),
    'vnc.open': ({ pid, mode }) => {
      kernel.assertRunning();
      kernel.processes.get(pid); // E_NOT_FOUND for a PID that never existed
      return displays.open(pid, mode);
    },
    'vnc.handBack': ({ pid }) => displays.handBack(pid),
    'vnc.exec': ({ pid, argv, env }) => {
      kernel.assertRunning();
      return displays.exec(pid, argv, env);
    },
    'vnc.screenshot': async ({ pid }) => {
      const shot = await displays.screenshot(pid);
      return {
        pid,
        width: shot.width,
        height: shot.height,
        mimeType: 'image/png' as const,
        data: shot.png.toString('base64'),
      };
    },
  };
}
