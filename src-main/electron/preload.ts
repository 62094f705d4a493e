// The sandboxed preload: exposes exactly two functions on `window.distlab` (typed for
// the renderer in src-renderer/api/bridge.d.ts) and nothing else — no ipcRenderer, no
// Node. A sandboxed preload may only `require('electron')`, so this file imports
// nothing at run time but electron and the channel names (bundled in), and it must be
// built as CommonJS (see electron.vite.config.ts).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { LabUpdate } from '../../src-node/contract/lab-api.ts';
import { LAB_CALL_CHANNEL, LAB_UPDATE_CHANNEL } from './channels.ts';

/** Electron wraps a rejected `invoke` as "Error invoking remote method 'lab:call': Error: …". */
const IPC_ERROR_PREFIX = /^Error invoking remote method '[^']*': (Error: )?/;

async function call(method: string, args: unknown[]): Promise<unknown> {
  try {
    return await ipcRenderer.invoke(LAB_CALL_CHANNEL, method, args);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(message.replace(IPC_ERROR_PREFIX, ''));
  }
}

function onUpdate(listener: (update: LabUpdate) => void): () => void {
  if (typeof listener !== 'function') throw new TypeError('onUpdate expects a function');
  // The page never sees the IPC event (it carries `sender`, i.e. ipcRenderer).
  const forward = (_event: IpcRendererEvent, update: LabUpdate): void => listener(update);
  ipcRenderer.on(LAB_UPDATE_CHANNEL, forward);
  return () => {
    ipcRenderer.removeListener(LAB_UPDATE_CHANNEL, forward);
  };
}

contextBridge.exposeInMainWorld('distlab', { call, onUpdate });
