// The node's network: one socket.io server (peers' incoming links and the lab's clients
// connect to it) and one socket.io client per peer for this node's outgoing directed link.
// A → B traffic rides A's client to B's server; B → A rides B's own client, so cutting
// one direction (a one-way partition) is natural. The transport only moves raw data: the
// node checks everything that arrives.
//
// What one node emits to one peer in the same turn of the event loop leaves as one
// socket.io packet (`batch`, a JSON string of [event, data] pairs, in order): socket.io's
// per-packet work (binary scan, encoding, a WebSocket frame) then happens once per batch
// instead of once per message, which is most of the cost of a message on localhost.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import type { NodeId } from '../contract/clock.ts';
import { CLIENT_REQUEST_EVENT, HEARTBEAT_EVENT, PEER_HELLO_EVENT, PEER_MESSAGE_EVENT } from '../contract/control.ts';
import { MAX_MESSAGE_BYTES, RECONNECT_DELAY_MAX_MS, RECONNECT_DELAY_MS } from './limits.ts';

export type Ack = (response: unknown) => void;

export interface TransportHandlers {
  onPeerHello(raw: unknown, connection: string): void;
  onPeerMessage(raw: unknown, connection: string): void;
  onHeartbeat(raw: unknown): void;
  onClientRequest(raw: unknown, ack: Ack | undefined, connection: string): void;
  /** An incoming connection closed (a client or a peer's outgoing link). */
  onConnectionClosed(connection: string): void;
  /** This node's outgoing link to `peer` came up or went down. */
  onLink(peer: NodeId, up: boolean): void;
  /** Emitted data that could not leave: the link went down before its batch was sent. */
  onUndelivered(peer: NodeId, event: string, data: unknown): void;
  onMalformed(reason: string, connection: string): void;
}

export interface Transport {
  readonly port: number;
  readonly url: string;
  /** Opens (or re-points, when a peer restarted on a new port) one outgoing link per peer. */
  setPeers(peers: readonly { id: NodeId; url: string }[]): void;
  isLinkUp(peer: NodeId): boolean;
  /**
   * Emits on the outgoing link, in this turn's batch; false when the link is not connected
   * (nothing is buffered across a disconnection: `onUndelivered` reports what was lost).
   * `json`: `data` already serialized, when the caller has it.
   */
  emit(peer: NodeId, event: string, data: unknown, json?: string): boolean;
  /** Sends this turn's batches now instead of at the end of the turn (the host's turn is over). */
  flush(): void;
  close(): Promise<void>;
}

export const BATCH_EVENT = 'batch';
/** A batch is sent early once it holds this many messages. */
export const MAX_BATCH_ITEMS = 256;

const KNOWN_EVENTS = new Set([PEER_HELLO_EVENT, PEER_MESSAGE_EVENT, HEARTBEAT_EVENT, CLIENT_REQUEST_EVENT, BATCH_EVENT]);

interface OutgoingLink {
  url: string;
  socket: ClientSocket;
  up: boolean;
  /** What was emitted this turn and not yet sent, with each item's JSON. */
  queue: QueuedItem[];
  flushScheduled: boolean;
}

interface QueuedItem {
  event: string;
  data: unknown;
  json: string;
}

export interface TransportOptions {
  self: NodeId;
  host: string;
  /** 0 = ephemeral; a taken port falls back to an ephemeral one. */
  port: number;
  handlers: TransportHandlers;
}

function wireIncoming(socket: ServerSocket, handlers: TransportHandlers): void {
  const connection = socket.id;
  socket.on(PEER_HELLO_EVENT, (raw: unknown) => handlers.onPeerHello(raw, connection));
  socket.on(PEER_MESSAGE_EVENT, (raw: unknown) => handlers.onPeerMessage(raw, connection));
  socket.on(HEARTBEAT_EVENT, (raw: unknown) => handlers.onHeartbeat(raw));
  socket.on(BATCH_EVENT, (raw: unknown) => receiveBatch(raw, connection, handlers));
  socket.on(CLIENT_REQUEST_EVENT, (raw: unknown, ack: unknown) => {
    handlers.onClientRequest(raw, typeof ack === 'function' ? (ack as Ack) : undefined, connection);
  });
  socket.onAny((event: unknown) => {
    if (typeof event !== 'string' || !KNOWN_EVENTS.has(event)) {
      handlers.onMalformed(`unknown event ${String(event).slice(0, 64)}`, connection);
    }
  });
  socket.on('disconnect', () => handlers.onConnectionClosed(connection));
}

/** Unpacks a peer's batch and hands each message to its handler, in order. */
function receiveBatch(raw: unknown, connection: string, handlers: TransportHandlers): void {
  let items: unknown;
  try {
    items = typeof raw === 'string' ? JSON.parse(raw) : undefined;
  } catch {
    items = undefined;
  }
  if (!Array.isArray(items)) {
    handlers.onMalformed('batch: not a JSON array of [event, data] pairs', connection);
    return;
  }
  for (const item of items) {
    const [event, data] = Array.isArray(item) && item.length === 2 ? item : [undefined, undefined];
    if (event === PEER_MESSAGE_EVENT) handlers.onPeerMessage(data, connection);
    else if (event === HEARTBEAT_EVENT) handlers.onHeartbeat(data);
    else if (event === PEER_HELLO_EVENT) handlers.onPeerHello(data, connection);
    else handlers.onMalformed(`batch: unknown item ${JSON.stringify(item)?.slice(0, 64)}`, connection);
  }
}

function listen(httpServer: ReturnType<typeof createServer>, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    httpServer.once('error', onError);
    httpServer.listen(port, host, () => {
      httpServer.off('error', onError);
      resolve();
    });
  });
}

export async function startTransport(options: TransportOptions): Promise<Transport> {
  const { handlers, self } = options;
  const httpServer = createServer();
  const server = new Server(httpServer, { serveClient: false, maxHttpBufferSize: MAX_MESSAGE_BYTES });
  server.on('connection', (socket) => wireIncoming(socket, handlers));
  await listen(httpServer, options.host, options.port).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE' || options.port === 0) throw error;
    return listen(httpServer, options.host, 0);
  });
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  const links = new Map<NodeId, OutgoingLink>();
  let closing = false;

  function setLinkUp(peer: NodeId, link: OutgoingLink, up: boolean): void {
    if (link.up === up || closing || links.get(peer) !== link) return;
    link.up = up;
    handlers.onLink(peer, up);
  }

  function open(peer: NodeId, peerUrl: string): void {
    const socket = connect(peerUrl, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: true,
      reconnectionDelay: RECONNECT_DELAY_MS,
      reconnectionDelayMax: RECONNECT_DELAY_MAX_MS,
      randomizationFactor: 0.5,
      timeout: 2000,
    });
    const link: OutgoingLink = { url: peerUrl, socket, up: false, queue: [], flushScheduled: false };
    links.set(peer, link);
    socket.on('connect', () => {
      socket.emit(PEER_HELLO_EVENT, { source: self });
      setLinkUp(peer, link, true);
    });
    socket.on('disconnect', (reason) => {
      setLinkUp(peer, link, false);
      // A server that disconnects us on purpose is not retried by socket.io; a peer link
      // must always come back, so retry by hand.
      if (reason === 'io server disconnect' && !closing && links.get(peer) === link) socket.connect();
    });
  }

  function flush(peer: NodeId, link: OutgoingLink): void {
    link.flushScheduled = false;
    const items = link.queue;
    if (items.length === 0) return;
    link.queue = [];
    // socket.io would buffer while disconnected and replay on reconnect: never that.
    if (!link.socket.connected || links.get(peer) !== link) {
      for (const item of items) handlers.onUndelivered(peer, item.event, item.data);
      return;
    }
    // Always a batch: one packet, and the items' JSON (often made already) is pasted, not re-encoded.
    let batch = '[';
    for (let index = 0; index < items.length; index += 1) {
      const item = items[index]!;
      batch += `${index === 0 ? '' : ','}[${JSON.stringify(item.event)},${item.json}]`;
    }
    link.socket.emit(BATCH_EVENT, `${batch}]`);
  }

  function drop(peer: NodeId): void {
    const link = links.get(peer);
    if (link === undefined) return;
    setLinkUp(peer, link, false);
    links.delete(peer);
    flush(peer, link);
    link.socket.removeAllListeners();
    link.socket.disconnect();
  }

  return {
    port,
    url,
    setPeers(peers) {
      const wanted = new Map(peers.filter((peer) => peer.id !== self).map((peer) => [peer.id, peer.url]));
      for (const peer of [...links.keys()]) if (!wanted.has(peer)) drop(peer);
      for (const [peer, peerUrl] of wanted) {
        if (links.get(peer)?.url === peerUrl) continue;
        drop(peer);
        open(peer, peerUrl);
      }
    },
    isLinkUp(peer) {
      return links.get(peer)?.socket.connected === true;
    },
    emit(peer, event, data, json) {
      const link = links.get(peer);
      if (link === undefined || !link.socket.connected) return false;
      link.queue.push({ event, data, json: json ?? JSON.stringify(data) ?? 'null' });
      if (link.queue.length >= MAX_BATCH_ITEMS) flush(peer, link);
      else if (!link.flushScheduled) {
        link.flushScheduled = true;
        setImmediate(() => flush(peer, link));
      }
      return true;
    },
    flush() {
      for (const [peer, link] of links) if (link.queue.length > 0) flush(peer, link);
    },
    async close() {
      closing = true;
      for (const [peer, link] of links) flush(peer, link);
      for (const link of links.values()) {
        link.socket.removeAllListeners();
        link.socket.disconnect();
      }
      links.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
      });
    },
  };
}
