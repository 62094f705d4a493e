// One cluster node: wires the transport, stable storage, clocks, tracer, fault filter,
// failure monitor and the core host together, and speaks to the supervisor.
//
// What the supervisor can rely on, in order:
//   1. `events` with `start` (and `recover`, and whatever the recover step did),
//      then `status`, then `listening` {port, url} — the node has recovered and accepts
//      connections. Control messages sent before `listening` are handled (faults) or
//      remembered (peers never come earlier, since the supervisor needs the url).
//   2. After `peers`: one `link` {peer, up: true} per peer as its outgoing link connects,
//      and `link` up/down whenever that changes; heartbeats and failure detection start.
//   3. `events` batches every traceFlushMs (or traceBatchMax), `status` when it changes (and a
//      `status` note in the events, rate-limited: contract/status-note.ts).
//   4. `flush` → `events` (if any) then `flushed`. `shutdown` or IPC disconnect → pending
//      client requests answered `info`, last `events`, exit code 0.
//   5. A failed assertion or uncaught error → a `log` event, last `events`, `fatal`, exit 1.

import type { NodeId } from '../contract/clock.ts';
import type { ClientAck, NodeConfig, ToNode } from '../contract/control.ts';
import { CLIENT_REPLY_TYPE, HEARTBEAT_EVENT, PEER_MESSAGE_EVENT } from '../contract/control.ts';
import type { OutMessage, ProtocolDefinition, Reply } from '../contract/core.ts';
import type { ClientResult, Envelope } from '../contract/envelope.ts';
import { STATUS_NOTE_CHARS_PER_SECOND, STATUS_NOTE_INTERVAL_MS } from '../contract/status-note.ts';
import { createRandom } from '../protocols/random/prng.ts';
import { CausalClock } from './causal-clock.ts';
import type { ControlChannel } from './control-channel.ts';
import { CoreHost } from './core-host.ts';
import { FailureMonitor } from './failure-monitor.ts';
import { FaultFilter, type DropReason, type Outgoing } from './fault-filter.ts';
import {
  EXIT_GRACE_MS, MAX_MALFORMED_LOGS_PER_SECOND, MAX_PENDING_CLIENT_REQUESTS, TRACE_PAYLOAD_MAX_CHARS,
} from './limits.ts';
import { labClock, NodeClock } from './node-clock.ts';
import { openStableStorage } from './stable-storage.ts';
import { Tracer } from './tracer.ts';
import { startTransport, type Ack, type Transport } from './transport.ts';
import { checkClientRequest, checkControlMessage, checkPeerEnvelope, checkSourceOnly } from './wire.ts';

export interface ClusterNodeDependencies {
  protocolByName(name: string): ProtocolDefinition;
  channel: ControlChannel;
  /** Ends the process; tests of the module itself may pass something gentler. */
  exit(code: number): void;
}

export interface ClusterNode {
  readonly url: string;
  /** Orderly stop: answer pending clients, flush, close everything, exit with `code`. */
  stop(code?: number): Promise<void>;
  /** Crash visibly: trace, report `fatal`, exit 1. */
  fatal(error: unknown): void;
}

interface PendingRequest {
  ack: Ack;
  client: string;
  connection: string;
}

/** One seed per node and per incarnation: same scenario seed, same run; a restart draws anew. */
export function nodeSeed(config: NodeConfig): number {
  const index = config.cluster.indexOf(config.id);
  return ((config.seed >>> 0) ^ Math.imul(index + 1, 0x9e3779b9) ^ Math.imul(config.restart + 1, 0x85ebca6b)) >>> 0;
}

/** The send event's detail: the payload itself when its JSON is short, else its length. */
function payloadDetail(payload: unknown, payloadJson: string): Record<string, unknown> {
  return payloadJson.length <= TRACE_PAYLOAD_MAX_CHARS ? { payload } : { payloadChars: payloadJson.length };
}

export async function startClusterNode(config: NodeConfig, deps: ClusterNodeDependencies): Promise<ClusterNode> {
  const self = config.id;
  const peers = config.cluster.filter((node) => node !== self);
  const peerSet = new Set(peers);
  const { channel } = deps;

  const nodeClock = new NodeClock(labClock(config.runStartEpochMs), config.clock);
  // The storage worker reports to the host, which exists before any write is handed over.
  const storage = openStableStorage(config.dataDir, { onDurable: (notice) => host.onDurable(notice), onError: (error) => fatal(error) });
  const stable = storage.loadAll();
  const causal = new CausalClock({ self, meta: storage, seqStart: config.seqStart });
  const tracer = new Tracer({
    self, clock: causal, nodeClock, flushMs: config.traceFlushMs, batchMax: config.traceBatchMax,
    ship: (events) => channel.send({ t: 'events', events }),
  });
  tracer.record('start', { detail: { restart: config.restart, recovered: stable.size > 0, pid: process.pid } });

  const random = createRandom(nodeSeed(config));
  const coreRandom = random.fork();
  const definition = deps.protocolByName(config.protocol.name);
  const core = definition.create({
    self, peers, random: () => coreRandom.next(), params: definition.parseParams(config.protocol.params), pipelined: true,
  });

  // Assigned once the server listens; the closures above read it before that.
  // eslint-disable-next-line prefer-const
  let transport: Transport | undefined;
  let stopping: Promise<void> | undefined;
  let dying = false;
  const pending = new Map<string, PendingRequest>();
  const connectionPeers = new Map<string, NodeId>();
  let pendingPeers: ToNode & { t: 'peers' } | undefined;

  // --- malformed input: traced, rate-limited, never fatal -------------------------------
  let logWindowStartMs = 0;
  let logsInWindow = 0;
  let logsSuppressed = 0;
  function logMalformed(reason: string, connection?: string): void {
    const nowMs = performance.now();
    if (nowMs - logWindowStartMs >= 1000) {
      logWindowStartMs = nowMs;
      logsInWindow = 0;
    }
    if (logsInWindow >= MAX_MALFORMED_LOGS_PER_SECOND) {
      logsSuppressed += 1;
      return;
    }
    logsInWindow += 1;
    const detail: Record<string, unknown> = { message: `malformed input dropped: ${reason}` };
    if (connection !== undefined) detail.connection = connection;
    if (logsSuppressed > 0) detail.suppressedBefore = logsSuppressed;
    logsSuppressed = 0;
    tracer.record('log', { detail });
  }

  // --- sending: through the fault filter --------------------------------------------------
  const filter = new FaultFilter({
    random: random.fork(),
    isLinkUp: (peer) => transport?.isLinkUp(peer) === true,
    deliver: (peer, item) => {
      if (transport?.emit(peer, item.event, item.data, item.json) !== true) onDrop(peer, item, 'link-down');
    },
    onDrop,
  });
  function onDrop(peer: NodeId, item: Outgoing, reason: DropReason): void {
    if (item.event !== PEER_MESSAGE_EVENT) return; // heartbeats are not traced
    const envelope = item.data as Envelope;
    tracer.record('drop', { msgId: envelope.id, peer, msgType: envelope.type, detail: { reason } });
  }

  function sendMessage(message: OutMessage): void {
    if (!peerSet.has(message.target)) throw new Error(`core sent ${message.type} to ${message.target}, which is not a peer`);
    // The payload is serialized once: its length decides the trace detail, and the wire reuses it.
    const payloadJson = JSON.stringify(message.payload) ?? 'null';
    const event = tracer.record('send', {
      newMessage: true, peer: message.target, msgType: message.type, detail: payloadDetail(message.payload, payloadJson),
    });
    const envelope: Envelope = {
      source: self, target: message.target, type: message.type, id: event.msgId ?? '',
      lamport: event.lamport, vclock: event.vclock, sentAtNodeMs: event.nodeTimeMs, payload: message.payload,
    };
    const head = JSON.stringify({ ...envelope, payload: undefined });
    const json = `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"payload":${payloadJson}}`;
    filter.send(message.target, { event: PEER_MESSAGE_EVENT, data: envelope, json });
  }

  // --- clients ----------------------------------------------------------------------------
  function answer(request: PendingRequest, requestId: string, result: ClientResult): void {
    const event = tracer.record('send', {
      newMessage: true, peer: request.client, msgType: CLIENT_REPLY_TYPE, detail: { requestId, result },
    });
    const ack: ClientAck = {
      source: self, target: request.client, type: CLIENT_REPLY_TYPE, id: event.msgId ?? '',
      lamport: event.lamport, vclock: event.vclock, sentAtNodeMs: event.nodeTimeMs, payload: result, requestId, result,
    };
    request.ack(ack);
  }

  function reply(response: Reply): void {
    const request = pending.get(response.requestId);
    if (request === undefined) {
      tracer.record('log', { detail: { message: `reply to unknown or abandoned request ${response.requestId}` } });
      return;
    }
    pending.delete(response.requestId);
    answer(request, response.requestId, response.result);
  }

  function onClientRequest(raw: unknown, ack: Ack | undefined, connection: string): void {
    if (ack === undefined) return logMalformed('client request without acknowledgement callback', connection);
    const checked = checkClientRequest(raw, self);
    if (!checked.ok) {
      logMalformed(checked.reason, connection);
      ack({ result: { type: 'fail', error: `malformed request: ${checked.reason}` } });
      return;
    }
    const envelope = checked.value;
    const { requestId, op } = envelope.payload;
    tracer.record('receive', {
      msgId: envelope.id, peer: envelope.source, msgType: envelope.type,
      received: { lamport: envelope.lamport, vclock: envelope.vclock }, detail: { requestId, op },
    });
    const request: PendingRequest = { ack, client: envelope.source, connection };
    // Neither reached the core, so the operation certainly did not happen: `fail`.
    if (pending.has(requestId)) return answer(request, requestId, { type: 'fail', error: 'duplicate requestId' });
    if (pending.size >= MAX_PENDING_CLIENT_REQUESTS) return answer(request, requestId, { type: 'fail', error: 'overloaded' });
    pending.set(requestId, request);
    host.step({ kind: 'client', requestId, op });
  }

  // --- the core ---------------------------------------------------------------------------
  const host = new CoreHost({
    core, storage, tracer, nodeNowMs: () => nodeClock.nowMs(), persistDelayMs: config.persistDelayMs,
    sendMessage, reply, onStatus: (status) => channel.send({ t: 'status', status }), onFatal: fatal,
    afterTurn: () => transport?.flush(),
    statusNotes: { intervalMs: STATUS_NOTE_INTERVAL_MS, charsPerSecond: STATUS_NOTE_CHARS_PER_SECOND },
  });
  filter.setLinks(config.links);

  const monitor = new FailureMonitor({
    peers, detector: config.failureDetector, heartbeatIntervalMs: config.heartbeatIntervalMs,
    suspicionSampleMs: config.suspicionSampleMs, nowMs: nodeClock.labNowMs,
    sendHeartbeat: (peer) => filter.send(peer, { event: HEARTBEAT_EVENT, data: { source: self } }),
    onSuspicion: (peer, suspected) => {
      tracer.record('suspicion', {
        peer, detail: { phi: { [peer]: round3(monitor.phiOf(peer)) }, suspected: peers.filter((p) => monitor.isSuspected(p)), change: { peer, suspected } },
      });
      host.step({ kind: 'suspicion', peer, suspected });
    },
    onSample: (phi, suspected) => tracer.record('suspicion', { detail: { phi, suspected } }),
    onPause: (gapMs) => tracer.record('log', {
      detail: { message: `this process did not run for ${Math.round(gapMs)} ms; peers' silence during it forgiven` },
    }),
  });

  // --- control channel --------------------------------------------------------------------
  function onControl(raw: unknown): void {
    const checked = checkControlMessage(raw, config.cluster);
    if (!checked.ok) return logMalformed(`control: ${checked.reason}`);
    const message = checked.value;
    switch (message.t) {
      case 'peers':
        if (transport === undefined) pendingPeers = message;
        else connectPeers(message);
        return;
      case 'faults':
        filter.setLinks(message.links);
        nodeClock.setFaults(message.clock);
        host.setPersistDelay(message.persistDelayMs);
        return;
      case 'flush':
        tracer.flush();
        channel.send({ t: 'flushed' });
        return;
      case 'shutdown':
        void stop(0);
        return;
    }
  }
  function connectPeers(message: ToNode & { t: 'peers' }): void {
    transport?.setPeers(message.peers);
    monitor.start();
  }
  const offMessage = channel.onMessage(onControl);
  const offDisconnect = channel.onDisconnect(() => void stop(0));

  // --- recover, then listen ---------------------------------------------------------------
  host.step({ kind: 'recover', stable }, () => {
    tracer.record('recover', { detail: { keys: stable.size, role: safeRole() } });
  });
  if (dying) return { url: '', stop, fatal }; // the core failed to recover; the process is exiting
  function safeRole(): string | undefined {
    try {
      return core.status().role;
    } catch {
      return undefined;
    }
  }

  transport = await startTransport({
    self, host: config.host, port: config.port,
    handlers: {
      onPeerHello(raw, connection) {
        const checked = checkSourceOnly(raw, peerSet);
        if (!checked.ok) return logMalformed(`peer-hello: ${checked.reason}`, connection);
        connectionPeers.set(connection, checked.value);
      },
      onPeerMessage(raw, connection) {
        const checked = checkPeerEnvelope(raw, self, peerSet);
        if (!checked.ok) return logMalformed(`peer-message: ${checked.reason}`, connection);
        const envelope = checked.value;
        const hello = connectionPeers.get(connection);
        if (hello !== undefined && hello !== envelope.source) {
          return logMalformed(`peer-message from ${envelope.source} on ${hello}'s link`, connection);
        }
        tracer.record('receive', {
          msgId: envelope.id, peer: envelope.source, msgType: envelope.type,
          received: { lamport: envelope.lamport, vclock: envelope.vclock },
        });
        host.step({ kind: 'message', source: envelope.source, type: envelope.type, payload: envelope.payload });
      },
      onHeartbeat(raw) {
        const checked = checkSourceOnly(raw, peerSet);
        if (!checked.ok) return logMalformed(`heartbeat: ${checked.reason}`);
        monitor.heartbeatFrom(checked.value);
      },
      onClientRequest,
      onConnectionClosed(connection) {
        connectionPeers.delete(connection);
        for (const [requestId, request] of pending) if (request.connection === connection) pending.delete(requestId);
      },
      onUndelivered(peer, event, data) {
        onDrop(peer, { event, data }, 'link-down');
      },
      onLink(peer, up) {
        tracer.record('link', { peer, detail: { up } });
        channel.send({ t: 'link', peer, up });
      },
      onMalformed: logMalformed,
    },
  });
  const listening = transport;

  tracer.flush();
  host.reportStatus();
  channel.send({ t: 'listening', port: listening.port, url: listening.url });
  if (pendingPeers !== undefined) connectPeers(pendingPeers);

  function closeAll(): void {
    offMessage();
    offDisconnect();
    monitor.close();
    host.close();
    filter.close();
  }

  async function stop(code = 0): Promise<void> {
    if (stopping !== undefined) return stopping;
    stopping = (async () => {
      for (const [requestId, request] of pending) answer(request, requestId, { type: 'info', error: 'node shutting down' });
      pending.clear();
      closeAll();
      tracer.close();
      await withTimeout(transport?.close() ?? Promise.resolve(), EXIT_GRACE_MS);
      await storage.close();
      await withTimeout(channel.drained(), EXIT_GRACE_MS);
      deps.exit(code);
    })();
    return stopping;
  }

  function fatal(error: unknown): void {
    if (dying) return deps.exit(1);
    dying = true;
    const message = error instanceof Error ? error.message : String(error);
    const stack = error instanceof Error ? error.stack : undefined;
    try {
      closeAll();
      tracer.record('log', { detail: { message: `fatal: ${message}`, fatal: true } });
      tracer.close();
    } catch {
      // Reporting the crash matters more than tracing it.
    }
    channel.send(stack === undefined ? { t: 'fatal', message } : { t: 'fatal', message, stack });
    void withTimeout(channel.drained(), EXIT_GRACE_MS).then(() => deps.exit(1));
  }

  return { url: listening.url, stop, fatal };
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}
