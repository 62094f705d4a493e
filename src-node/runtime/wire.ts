// Checks everything that arrives from outside the process — peers, clients, the
// supervisor — before it reaches the host. Each check returns the value or a reason;
// the node drops what fails, traces a `log` event, and never crashes on it.

import type { NodeId } from '../contract/clock.ts';
import type { ClientRequestPayload, ToNode } from '../contract/control.ts';
import type { Envelope } from '../contract/envelope.ts';
import { parseClockFaults, parseLinks } from './node-config.ts';
import { MAX_CLUSTER_SIZE, MAX_NAME_CHARS, MAX_VCLOCK_ENTRIES } from './limits.ts';

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_CHARS;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function bad<T>(reason: string): Checked<T> {
  return { ok: false, reason };
}

/** The shape every envelope has, peer or client. */
export function checkEnvelope(raw: unknown, self: NodeId): Checked<Envelope> {
  if (!isRecord(raw)) return bad('envelope is not an object');
  if (!isName(raw.source)) return bad('envelope.source is not a name');
  if (raw.target !== self) return bad(`envelope.target is not ${self}`);
  if (!isName(raw.type)) return bad('envelope.type is not a name');
  if (!isName(raw.id)) return bad('envelope.id is not a name');
  if (!isCount(raw.lamport)) return bad('envelope.lamport is not a non-negative integer');
  if (!isRecord(raw.vclock)) return bad('envelope.vclock is not an object');
  const entries = Object.entries(raw.vclock);
  if (entries.length > MAX_VCLOCK_ENTRIES) return bad('envelope.vclock has too many entries');
  for (const [process, count] of entries) {
    if (!isName(process) || !isCount(count)) return bad(`envelope.vclock[${process.slice(0, 32)}] is not a count`);
  }
  if (typeof raw.sentAtNodeMs !== 'number' || !Number.isFinite(raw.sentAtNodeMs)) {
    return bad('envelope.sentAtNodeMs is not a finite number');
  }
  if (!('payload' in raw)) return bad('envelope has no payload');
  return { ok: true, value: raw as unknown as Envelope };
}

export function checkPeerEnvelope(raw: unknown, self: NodeId, peers: ReadonlySet<NodeId>): Checked<Envelope> {
  const checked = checkEnvelope(raw, self);
  if (checked.ok && !peers.has(checked.value.source)) return bad(`envelope.source ${checked.value.source} is not a peer`);
  return checked;
}

export function checkClientRequest(raw: unknown, self: NodeId): Checked<Envelope<ClientRequestPayload>> {
  const checked = checkEnvelope(raw, self);
  if (!checked.ok) return checked;
  const payload = checked.value.payload;
  if (!isRecord(payload)) return bad('client request payload is not an object');
  if (!isName(payload.requestId)) return bad('client request has no requestId');
  const op = payload.op;
  if (!isRecord(op) || !isName(op.f)) return bad('client request op has no function name f');
  if (op.key !== undefined && (typeof op.key !== 'string' || op.key.length > MAX_NAME_CHARS * 8)) {
    return bad('client request op.key is not a string');
  }
  return { ok: true, value: checked.value as Envelope<ClientRequestPayload> };
}

/** `peer-hello` and `heartbeat` both carry just `{source}`. */
export function checkSourceOnly(raw: unknown, peers: ReadonlySet<NodeId>): Checked<NodeId> {
  if (!isRecord(raw) || !isName(raw.source)) return bad('expected {source}');
  if (!peers.has(raw.source)) return bad(`source ${raw.source} is not a peer`);
  return { ok: true, value: raw.source };
}

export function checkControlMessage(raw: unknown, cluster: readonly NodeId[]): Checked<ToNode> {
  if (!isRecord(raw)) return bad('control message is not an object');
  switch (raw.t) {
    case 'flush':
    case 'shutdown':
      return { ok: true, value: { t: raw.t } };
    case 'peers': {
      if (!Array.isArray(raw.peers) || raw.peers.length > MAX_CLUSTER_SIZE) return bad('peers is not a list');
      const peers: { id: NodeId; url: string }[] = [];
      for (const peer of raw.peers as unknown[]) {
        if (!isRecord(peer) || !isName(peer.id) || typeof peer.url !== 'string') return bad('peer is not {id, url}');
        if (!cluster.includes(peer.id)) return bad(`peer ${peer.id} is not in the cluster`);
        peers.push({ id: peer.id, url: peer.url });
      }
      return { ok: true, value: { t: 'peers', peers } };
    }
    case 'faults':
      try {
        const persistDelayMs = raw.persistDelayMs ?? 0;
        if (typeof persistDelayMs !== 'number' || !(persistDelayMs >= 0 && persistDelayMs <= 600_000)) {
          return bad('persistDelayMs is not in [0, 600000]');
        }
        return {
          ok: true,
          value: { t: 'faults', links: parseLinks(raw.links, cluster, 'links'), clock: parseClockFaults(raw.clock, 'clock'), persistDelayMs },
        };
      } catch (error) {
        return bad((error as Error).message);
      }
    default:
      return bad(`unknown control message ${String(raw.t).slice(0, 32)}`);
  }
}
