// A synthetic trace for the dev page: five nodes heartbeating every 500 ms and
// replicating a client's writes from a leader, with a crash of n3, a pause of n5, a
// partition {n1 n2} | {n3 n4 n5} and a lossy link n1 → n4. Phi is computed the way an
// accrual detector would (logistic approximation of the normal CDF, as in Akka). Pure and
// seeded: the same options give the same trace. Not a protocol — just enough to look at.

import type { FaultRequest } from '../../../src-node/contract/faults.ts';
import type { StoredEvent, TraceKind } from '../../../src-node/contract/trace.ts';
import { receive as receiveClock, tick } from '../../../src-node/protocols/clocks/vector-clock.ts';

export interface SyntheticOptions {
  durationMs: number;
  seed: number;
}

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const CLIENT = 'c1';
const STEP_MS = 5;
const HEARTBEAT_MS = 500;
const SAMPLE_MS = 250;
const CLIENT_EVERY_MS = 1700;

interface Process {
  vclock: Record<string, number>;
  lamport: number;
  seq: number;
  status: 'up' | 'down' | 'paused';
  lastHeard: Map<string, number>;
}

interface InFlight {
  atMs: number;
  source: string;
  target: string;
  type: string;
  msgId: string;
  sent: { vclock: Record<string, number>; lamport: number };
  op?: string;
}

/** mulberry32: a small seeded generator, uniform in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value ^= value + Math.imul(value ^ (value >>> 7), 61 | value);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** Heartbeat-interval statistics the detector assumes: mean and standard deviation. */
function phiOf(sinceMs: number): number {
  const y = (sinceMs - HEARTBEAT_MS) / 200;
  const exponent = y * (1.5976 + 0.070566 * y * y);
  const e = Math.exp(-exponent);
  // -log10(e / (1 + e)), written so that it does not underflow for long silences.
  if (sinceMs > HEARTBEAT_MS) return exponent / Math.LN10 + Math.log10(1 + e);
  return -Math.log10(1 - 1 / (1 + e));
}

export function syntheticTrace(options: SyntheticOptions): StoredEvent[] {
  const random = seededRandom(options.seed);
  const events: StoredEvent[] = [];
  const processes = new Map<string, Process>();
  for (const id of [...NODES, CLIENT]) processes.set(id, { vclock: {}, lamport: 0, seq: 0, status: 'up', lastHeard: new Map() });
  let inFlight: InFlight[] = [];
  let partition: string[][] | null = null;
  const lossPct = new Map<string, number>();
  let leader = 'n1';
  let messageCount = 0;
  const pendingOps = new Map<string, { acks: number; invokedMs: number; done: boolean }>();

  const emit = (node: string, kind: TraceKind, timeMs: number, extra: Partial<StoredEvent> = {}): StoredEvent => {
    const process = processes.get(node);
    const seq = process === undefined ? 0 : ++process.seq;
    const event: StoredEvent = {
      id: events.length + 1, node, seq, kind, lamport: process?.lamport ?? 0, vclock: { ...(process?.vclock ?? {}) },
      nodeTimeMs: timeMs + (node === 'n2' ? 40 : 0), labTimeMs: timeMs, ...extra,
    };
    events.push(event);
    return event;
  };
  const local = (node: string, kind: TraceKind, timeMs: number, extra: Partial<StoredEvent> = {}): StoredEvent => {
    const process = processes.get(node)!;
    process.vclock = tick(process.vclock, node);
    process.lamport += 1;
    return emit(node, kind, timeMs, extra);
  };
  const cut = (source: string, target: string): boolean =>
    partition !== null && partition.findIndex((g) => g.includes(source)) !== partition.findIndex((g) => g.includes(target));

  const send = (source: string, target: string, type: string, timeMs: number, op?: string): void => {
    const msgId = `m${++messageCount}`;
    const process = processes.get(source)!;
    // n3 dies 10 ms after this one: its send never reaches the trace, its receive does.
    const unreported = source === 'n3' && type === 'Heartbeat' && target === 'n4' && timeMs >= 7700 && timeMs < 8000;
    if (unreported) {
      process.vclock = tick(process.vclock, source);
      process.lamport += 1;
    } else {
      local(source, 'send', timeMs, { peer: target, msgId, msgType: type });
    }
    const loss = lossPct.get(`${source}>${target}`) ?? 0;
    if (cut(source, target) || random() * 100 < loss) {
      local(source, 'drop', timeMs, { peer: target, msgId, msgType: type, detail: { reason: cut(source, target) ? 'partition' : 'loss' } });
      return;
    }
    const sent = { vclock: { ...process.vclock }, lamport: process.lamport };
    const flight: InFlight = { atMs: timeMs + 3 + Math.floor(random() * 12), source, target, type, msgId, sent, ...(op === undefined ? {} : { op }) };
    inFlight.push(flight);
    // One duplicated message, to see a double receive.
    if (messageCount === 40) inFlight.push({ ...flight, atMs: flight.atMs + 25 });
  };

  const faultAt = new Map<number, FaultRequest[]>([
    [8000, [{ kind: 'crash', node: 'n3' }]],
    [14000, [{ kind: 'restart', node: 'n3' }]],
    [18000, [{ kind: 'pause', node: 'n5' }]],
    [24000, [{ kind: 'resume', node: 'n5' }]],
    [28000, [{ kind: 'partition', spec: { groups: [['n1', 'n2'], ['n3', 'n4', 'n5']], oneWay: false } }]],
    [36000, [{ kind: 'heal' }]],
    [38000, [{ kind: 'link', source: 'n1', target: 'n4', faults: { lossPct: 40 } }]],
  ]);

  const applyFault = (request: FaultRequest, timeMs: number): void => {
    const node = 'node' in request ? request.node : 'lab';
    emit(node === 'lab' ? 'lab' : node, 'fault', timeMs, { detail: { request, by: 'scenario' } });
    const process = node === 'lab' ? undefined : processes.get(node);
    if (request.kind === 'crash' && process !== undefined) process.status = 'down';
    if (request.kind === 'pause' && process !== undefined) process.status = 'paused';
    if (request.kind === 'resume' && process !== undefined) process.status = 'up';
    if (request.kind === 'restart' && process !== undefined) {
      process.status = 'up';
      for (const peer of NODES) process.lastHeard.set(peer, timeMs);
      local(node, 'start', timeMs + 5, { detail: { recovered: true, restart: 1 } });
      local(node, 'recover', timeMs + 8, { detail: { term: 1 } });
      local(node, 'state', timeMs + 9, { detail: { name: 'follower', term: 1 } });
    }
    if (request.kind === 'partition') partition = request.spec.groups;
    if (request.kind === 'heal') partition = null;
    if (request.kind === 'link') lossPct.set(`${request.source}>${request.target}`, request.faults.lossPct ?? 0);
  };

  for (const node of NODES) {
    local(node, 'start', 0, { detail: { recovered: false, restart: 0 } });
    local(node, 'state', 1, { detail: { name: node === leader ? 'leader' : 'follower', term: 1 } });
  }
  local(CLIENT, 'start', 0, { detail: { recovered: false, restart: 0 } });

  for (let t = STEP_MS; t <= options.durationMs; t += STEP_MS) {
    for (const request of faultAt.get(t) ?? []) applyFault(request, t);
    if (t === 30000) {
      local('n3', 'timer', t, { detail: { timer: 'election' } });
      local('n3', 'state', t + 1, { detail: { name: 'candidate', term: 2 } });
    }
    if (t === 30050) {
      local('n3', 'state', t, { detail: { name: 'leader', term: 2 } });
      leader = 'n3';
    }
    if (t === 36300) local('n1', 'state', t, { detail: { name: 'follower', term: 2 } });

    const due = inFlight.filter((message) => message.atMs <= t);
    inFlight = inFlight.filter((message) => message.atMs > t);
    for (const message of due) deliver(message, t);

    for (const [index, node] of NODES.entries()) {
      const process = processes.get(node)!;
      if (process.status !== 'up') continue;
      if ((t + index * 100) % HEARTBEAT_MS === 0) {
        local(node, 'timer', t, { detail: { timer: 'heartbeat' } });
        for (const peer of NODES) if (peer !== node) send(node, peer, 'Heartbeat', t);
      }
      if ((t + index * 50) % SAMPLE_MS === 0) sample(node, t);
    }
    if (t % CLIENT_EVERY_MS === 0) invoke(t);
    for (const [op, state] of pendingOps) {
      if (!state.done && t - state.invokedMs >= 1500) {
        state.done = true;
        local(CLIENT, 'info', t, { msgId: op, peer: leader, detail: { reason: 'timeout' } });
      }
    }
  }
  return events;

  function deliver(message: InFlight, t: number): void {
    const target = processes.get(message.target)!;
    if (target.status === 'down') return;
    if (target.status === 'paused') {
      inFlight.push({ ...message, atMs: t + STEP_MS });
      return;
    }
    target.vclock = receiveClock(target.vclock, message.sent.vclock, message.target);
    target.lamport = Math.max(target.lamport, message.sent.lamport) + 1;
    target.lastHeard.set(message.source, t);
    emit(message.target, 'receive', t, { peer: message.source, msgId: message.msgId, msgType: message.type });
    react(message, t);
  }

  function react(message: InFlight, t: number): void {
    const { target, source, op } = message;
    if (op === undefined) return;
    if (message.type === 'Put') {
      local(target, 'persist', t, { detail: { keys: [op], durationMs: 2 } });
      for (const peer of NODES) if (peer !== target) send(target, peer, 'Append', t, op);
    } else if (message.type === 'Append') {
      local(target, 'persist', t, { detail: { keys: [op], durationMs: 2 } });
      send(target, source, 'AppendOk', t, op);
    } else if (message.type === 'AppendOk') {
      const state = pendingOps.get(op);
      if (state !== undefined && ++state.acks === 2) send(target, CLIENT, 'PutOk', t, op);
    } else if (message.type === 'PutOk') {
      const state = pendingOps.get(op);
      if (state !== undefined && !state.done) {
        state.done = true;
        local(CLIENT, 'ok', t, { msgId: op, peer: source });
      }
    }
  }

  function sample(node: string, t: number): void {
    const process = processes.get(node)!;
    const phi: Record<string, number> = {};
    for (const peer of NODES) if (peer !== node) phi[peer] = Number(phiOf(t - (process.lastHeard.get(peer) ?? 0)).toFixed(3));
    const suspected = Object.keys(phi).filter((peer) => phi[peer]! > 8);
    emit(node, 'suspicion', t, { detail: { phi, suspected } });
  }

  function invoke(t: number): void {
    const op = `op${pendingOps.size + 1}`;
    pendingOps.set(op, { acks: 0, invokedMs: t, done: false });
    local(CLIENT, 'invoke', t, { msgId: op, peer: leader, detail: { op: { f: 'put', key: 'x', value: pendingOps.size } } });
    send(CLIENT, leader, 'Put', t, op);
  }
}
