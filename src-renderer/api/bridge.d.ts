// What the Electron preload exposes on `window.distlab` with contextBridge. Two
// functions carry the whole LabApi, so the preload stays small and the bridge is the
// same channel contract as the browser shell's socket.io (`call` + `update`).
import type { LabMethod, LabUpdate } from '../../src-node/contract/lab-api.ts';

export interface DistlabBridge {
  /** Calls `lab[method](...args)` in the main process; rejects with the lab's Error message. */
  call(method: LabMethod, args: unknown[]): Promise<unknown>;
  /** Receives every LabUpdate; returns the function that stops it. */
  onUpdate(listener: (update: LabUpdate) => void): () => void;
}

declare global {
  interface Window {
    distlab?: DistlabBridge;
  }
}
