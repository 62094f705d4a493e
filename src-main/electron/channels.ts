// The two IPC channels between the preload bridge and the main process. They carry the
// same channel contract as the browser shell's socket.io (`call` + `update`), so the
// renderer sees one LabApi whichever shell it runs in. Pure: the preload bundles it.

/** `ipcRenderer.invoke(LAB_CALL_CHANNEL, method, args)` → the lab method's result. */
export const LAB_CALL_CHANNEL = 'lab:call';
/** `webContents.send(LAB_UPDATE_CHANNEL, update)` for every LabUpdate of the lab. */
export const LAB_UPDATE_CHANNEL = 'lab:update';
