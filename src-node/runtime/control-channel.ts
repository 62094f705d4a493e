// The node's end of the supervisor's IPC channel (fork + 'advanced' serialization).
// `send` never throws: when the parent is gone there is nobody left to tell.

import type { FromNode } from '../contract/control.ts';

export interface ControlChannel {
  send(message: FromNode): void;
  /** Resolves when every message sent so far has been handed to the OS (or failed). */
  drained(): Promise<void>;
  onMessage(handler: (raw: unknown) => void): () => void;
  onDisconnect(handler: () => void): () => void;
}

export function processChannel(): ControlChannel {
  let inFlight = 0;
  let waiters: (() => void)[] = [];
  const settle = (): void => {
    inFlight -= 1;
    if (inFlight > 0) return;
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  };
  return {
    send(message) {
      if (process.send === undefined || !process.connected) return;
      inFlight += 1;
      try {
        process.send(message, undefined, {}, () => settle());
      } catch {
        settle();
      }
    },
    drained() {
      // Callbacks of sends cut off by a disconnect may never come: nothing is left to wait for.
      if (inFlight === 0 || !process.connected) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    onMessage(handler) {
      process.on('message', handler);
      return () => process.off('message', handler);
    },
    onDisconnect(handler) {
      process.on('disconnect', handler);
      return () => process.off('disconnect', handler);
    },
  };
}
