// A client process of the lab: it talks to the nodes the way an outside client would
// (socket.io to a node's server) and records a Jepsen-style history in the trace: an
// `invoke` event, then `ok`, `fail` (it certainly did not happen) or `info` (it may or may
// not have happened: a timeout, or a connection lost while waiting).

import { io, type Socket } from 'socket.io-client';
import type { NodeId, ProcessId } from '../../src-node/contract/clock.ts';
import { CLIENT_REQUEST_EVENT, type ClientAck, type ClientRequestPayload } from '../../src-node/contract/control.ts';
import type { ClientOp, ClientResult, Envelope } from '../../src-node/contract/envelope.ts';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import { ProcessClock } from '../supervisor/process-events.ts';
import { labTimeMs } from '../lab/lab-time.ts';

export const DEFAULT_CLIENT_TIMEOUT_MS = 1_500;
export const MAX_CLIENT_TIMEOUT_MS = 60_000;
export const CONNECT_WAIT_MS = 1_000;

export interface CompletedOp {
  client: ProcessId;
  node: NodeId;
  op: ClientOp;
  result: ClientResult;
  invokedAtMs: number;
  completedAtMs: number;
  opId: string;
}

export class LabClient {
  private readonly clock: ProcessClock;
  private readonly sockets = new Map<NodeId, { url: string; socket: Socket }>();
  private requests = 0;
  /** Waits for a connection that close() must end at once. */
  private readonly pendingConnects = new Set<() => void>();
  private closed = false;

  constructor(
    readonly id: ProcessId,
    private readonly runStartEpochMs: number,
    sink: (event: TraceEvent) => void,
  ) {
    this.clock = new ProcessClock(id, runStartEpochMs, sink);
  }

  /**
   * Runs one operation against `node` at `url` and records it. Never throws for what the
   * network or the node does: those are outcomes (`fail`, `info`), as in Jepsen.
   */
  async request(options: { node: NodeId; url: string | null; op: ClientOp; timeoutMs: number }): Promise<CompletedOp> {
    if (this.closed) throw new Error(`client ${this.id} is closed`);
    const { node, url, op } = options;
    const timeoutMs = Math.min(Math.max(1, options.timeoutMs), MAX_CLIENT_TIMEOUT_MS);
    this.requests += 1;
    const requestId = `${this.id}:${this.requests}`;
    const invoke = this.clock.record('invoke', { msgId: requestId, peer: node, msgType: op.f, detail: { op } });
    const invokedAtMs = invoke.labTimeMs;
    // A connection that is not up yet gets a short, bounded wait; the request leaves only once it is.
    const connected = url ? await this.connect(node, url, Math.min(timeoutMs, CONNECT_WAIT_MS)) : false;
    // The client may have been closed while it waited: then the request never leaves.
    const socket = url && !this.closed ? this.connection(node, url) : null;
    let result: ClientResult;
    let ack: ClientAck | null = null;
    if (!socket || !connected || !socket.connected) {
      // The request never left: it certainly did not take effect.
      result = { type: 'fail', error: url ? `not connected to ${node}` : `${node} is not running` };
    } else {
      const envelope: Envelope<ClientRequestPayload> = {
        source: this.id, target: node, type: 'client-request', id: requestId,
        lamport: invoke.lamport, vclock: invoke.vclock, sentAtNodeMs: invoke.nodeTimeMs,
        payload: { requestId, op },
      };
      const answer = await this.send(socket, envelope, timeoutMs);
      result = answer ? answer.result : { type: 'info', error: `no answer from ${node} within ${timeoutMs} ms` };
      // A malformed request is answered without clocks: nothing to merge then.
      ack = answer && isStamped(answer) ? answer : null;
    }
    const fields = { msgId: requestId, peer: node, msgType: op.f, detail: { op, result } };
    const completion = ack ? this.clock.receive(result.type, ack, fields) : this.clock.record(result.type, fields);
    return { client: this.id, node, op, result, invokedAtMs, completedAtMs: completion.labTimeMs, opId: requestId };
  }

  now(): number {
    return labTimeMs(this.runStartEpochMs);
  }

  close(): void {
    this.closed = true;
    for (const cancel of [...this.pendingConnects]) cancel();
    for (const { socket } of this.sockets.values()) socket.close();
    this.sockets.clear();
  }

  private send(socket: Socket, envelope: Envelope, timeoutMs: number): Promise<Pick<ClientAck, 'result'> | null> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (ack: Pick<ClientAck, 'result'> | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.off('disconnect', lost);
        resolve(ack);
      };
      // Losing the connection while waiting: the node may or may not have done it.
      const lost = (): void => finish(null);
      const timer = setTimeout(() => finish(null), timeoutMs);
      socket.once('disconnect', lost);
      socket.emit(CLIENT_REQUEST_EVENT, envelope, (ack: unknown) => finish(hasResult(ack) ? ack : null));
    });
  }

  /** One connection per node, kept open; replaced when the node comes back at another address. */
  private connection(node: NodeId, url: string): Socket {
    const existing = this.sockets.get(node);
    if (existing && existing.url === url) return existing.socket;
    existing?.socket.close();
    const socket = io(url, {
      transports: ['websocket'],
      reconnectionDelay: 50,
      reconnectionDelayMax: 500,
      query: { client: this.id },
    });
    this.sockets.set(node, { url, socket });
    return socket;
  }

  /** Connects to a node ahead of time, resolving when connected or after `timeoutMs`. */
  async connect(node: NodeId, url: string, timeoutMs = 2_000): Promise<boolean> {
    // A closed client opens nothing: a socket opened now would try to reconnect forever.
    if (this.closed) return false;
    const socket = this.connection(node, url);
    if (socket.connected) return true;
    return new Promise((resolve) => {
      const finish = (connected: boolean): void => {
        clearTimeout(timer);
        socket.off('connect', onConnect);
        this.pendingConnects.delete(cancel);
        resolve(connected);
      };
      const onConnect = (): void => finish(true);
      const cancel = (): void => finish(false);
      const timer = setTimeout(cancel, timeoutMs);
      this.pendingConnects.add(cancel);
      socket.once('connect', onConnect);
    });
  }
}

function hasResult(value: unknown): value is Pick<ClientAck, 'result'> {
  if (typeof value !== 'object' || value === null) return false;
  const result = (value as { result?: Partial<ClientResult> }).result;
  return typeof result === 'object' && result !== null
    && (result.type === 'ok' || result.type === 'fail' || result.type === 'info');
}

function isStamped(value: Pick<ClientAck, 'result'>): value is ClientAck {
  const ack = value as Partial<ClientAck>;
  return typeof ack.lamport === 'number' && typeof ack.vclock === 'object' && ack.vclock !== null;
}
