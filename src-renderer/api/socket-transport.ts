// The browser shell's transport: socket.io to the page's own origin, authenticated by
// the per-run token (from the URL the first time, then from the cookie the server set).
import { io } from 'socket.io-client';
import type { LabMethod, LabUpdate } from '../../src-node/contract/lab-api.ts';
import type { LabTransport } from './transport-lab-api.ts';

/** Long enough for starting a scenario or a client op with its own timeout. */
const CALL_TIMEOUT_MS = 60_000;
const TOKEN_KEY = 'distlab.token';

type CallAck = { ok: true; value: unknown } | { ok: false; error: string };

/** Takes the token out of the address bar (it would show on a projector) but keeps it for this tab. */
function takeToken(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export function socketTransport(): LabTransport {
  const token = takeToken();
  const socket = io(window.location.origin, {
    query: token === null ? {} : { token },
    withCredentials: true,
  });
  const connectionListeners = new Set<(connected: boolean) => void>();
  socket.on('connect', () => connectionListeners.forEach((listener) => listener(true)));
  socket.on('disconnect', () => connectionListeners.forEach((listener) => listener(false)));
  socket.on('connect_error', () => connectionListeners.forEach((listener) => listener(false)));

  return {
    shell: 'browser',
    async call(method: LabMethod, args: unknown[]): Promise<unknown> {
      let answer: CallAck;
      try {
        answer = (await socket.timeout(CALL_TIMEOUT_MS).emitWithAck('call', method, args)) as CallAck;
      } catch {
        throw new Error(`${method}: the lab did not answer within ${CALL_TIMEOUT_MS / 1000} s`);
      }
      if (!answer.ok) throw new Error(answer.error);
      return answer.value;
    },
    onUpdate(listener: (update: LabUpdate) => void) {
      socket.on('update', listener);
      return () => socket.off('update', listener);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      if (socket.connected) listener(true);
      return () => connectionListeners.delete(listener);
    },
  };
}
