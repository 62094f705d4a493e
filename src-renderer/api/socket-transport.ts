// The browser shell's transport: socket.io to the page's own origin, authenticated by
// the per-run token (from the URL the first time, then from the cookie the server set).
import { io } from 'socket.io-client';
import type { LabMethod, LabUpdate } from '../../src-node/contract/lab-api.ts';
import type { LabTransport } from './transport-lab-api.ts';

/** Long enough for starting a scenario or a client op with its own timeout. */
const CALL_TIMEOUT_MS = 60_000;
/**
 * The measurements run experiments of their own (PBS on the live nodes, the comparison table,
 * gossip convergence): on a slow or busy machine they outlast a minute, and the lab bounds
 * them itself. The Electron shell's IPC has no timeout at all.
 */
const MEASUREMENT_TIMEOUT_MS = 15 * 60_000;
const MEASUREMENTS: ReadonlySet<LabMethod> = new Set(['measurePbs', 'compareProtocols', 'measureConvergence']);

/** How long the page waits for the lab's answer to `method`. */
export function callTimeoutMs(method: LabMethod): number {
  return MEASUREMENTS.has(method) ? MEASUREMENT_TIMEOUT_MS : CALL_TIMEOUT_MS;
}
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
      const timeoutMs = callTimeoutMs(method);
      try {
        answer = (await socket.timeout(timeoutMs).emitWithAck('call', method, args)) as CallAck;
      } catch {
        throw new Error(`${method}: the lab did not answer within ${timeoutMs / 1000} s`);
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
