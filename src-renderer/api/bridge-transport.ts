// The desktop shell's transport: the preload's `window.distlab` (see bridge.d.ts).
// IPC to the main process does not drop, so the connection is up from the start.
import type { LabTransport } from './transport-lab-api.ts';
import type { DistlabBridge } from './bridge.d.ts';

export function bridgeTransport(bridge: DistlabBridge): LabTransport {
  return {
    shell: 'desktop',
    async call(method, args) {
      try {
        return await bridge.call(method, args);
      } catch (error) {
        // Electron prefixes IPC errors with "Error invoking remote method '…': Error: ".
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(message.replace(/^Error invoking remote method '[^']*': (Error: )?/, ''));
      }
    },
    onUpdate: (listener) => bridge.onUpdate(listener),
    onConnection(listener) {
      listener(true);
      return () => {};
    },
  };
}
