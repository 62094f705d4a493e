// Messages between Dynamo nodes, and the checks every incoming one passes before the core
// acts on it (a malformed message is traced and dropped, never trusted).

import type { NodeId } from '../../contract/clock.ts';
import { malformedVersion, type Version } from './versions.ts';

export interface ReadRequest { request: string; key: string }
export interface ReadReply { request: string; key: string; versions: Version[] }
/** `hintFor`: the sender stores these versions for that node, to hand back later. */
export interface WriteRequest { request: string; key: string; versions: Version[]; hintFor: NodeId | null }
export interface WriteAck { request: string; key: string }
export interface Repair { key: string; versions: Version[] }
export interface Handoff { owner: NodeId; entries: [string, Version[]][] }
export interface HandoffAck { owner: NodeId; entries: [string, string][] }
/** Heartbeats as [incarnation, beat]: a restarted node's new incarnation outranks its old beats. */
export interface Gossip { heartbeats: Record<NodeId, [number, number]>; reply: boolean }
/**
 * One round of a Merkle exchange over the keys both nodes replicate: hashes of some nodes of
 * one level of the tree. The receiver compares them with its own and answers with its
 * hashes of the children of the differing ones, or, at the leaves, with the keys to sync.
 */
export interface MerkleLevel { exchange: string; depth: number; level: number; nodes: [number, number][] }
/** The sender's versions of the keys in the differing `leaves`; `reply` false asks the receiver for its versions of them too. */
export interface MerkleSync { exchange: string; depth: number; leaves: number[]; entries: [string, Version[]][]; reply: boolean }

export type DynamoMessage =
  | { type: 'read'; payload: ReadRequest }
  | { type: 'read-reply'; payload: ReadReply }
  | { type: 'write'; payload: WriteRequest }
  | { type: 'write-ack'; payload: WriteAck }
  | { type: 'repair'; payload: Repair }
  | { type: 'handoff'; payload: Handoff }
  | { type: 'handoff-ack'; payload: HandoffAck }
  | { type: 'gossip'; payload: Gossip }
  | { type: 'merkle-level'; payload: MerkleLevel }
  | { type: 'merkle-sync'; payload: MerkleSync };

/** Entries one message may carry (a lab bound, checked on both ends). */
export const MESSAGE_ENTRIES_MAX = 2_000;
const KEY_LENGTH_MAX = 256;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isKey = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= KEY_LENGTH_MAX;
const isId = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 64;

function versionsOk(value: unknown): boolean {
  return Array.isArray(value) && value.length <= MESSAGE_ENTRIES_MAX && value.every((version) => malformedVersion(version) === null);
}

function entriesOk(value: unknown, each: (entry: unknown) => boolean): boolean {
  return Array.isArray(value) && value.length <= MESSAGE_ENTRIES_MAX
    && value.every((entry) => Array.isArray(entry) && entry.length === 2 && isKey(entry[0]) && each(entry[1]));
}

/** The message if `type` and `payload` are well formed, else null. */
export function parseMessage(type: string, payload: unknown): DynamoMessage | null {
  if (!isRecord(payload)) return null;
  const p = payload;
  switch (type) {
    case 'read': return isId(p['request']) && isKey(p['key']) ? { type, payload: p as unknown as ReadRequest } : null;
    case 'read-reply': return isId(p['request']) && isKey(p['key']) && versionsOk(p['versions']) ? { type, payload: p as unknown as ReadReply } : null;
    case 'write':
      return isId(p['request']) && isKey(p['key']) && versionsOk(p['versions']) && (p['hintFor'] === null || isId(p['hintFor'])) ? { type, payload: p as unknown as WriteRequest } : null;
    case 'write-ack': return isId(p['request']) && isKey(p['key']) ? { type, payload: p as unknown as WriteAck } : null;
    case 'repair': return isKey(p['key']) && versionsOk(p['versions']) ? { type, payload: p as unknown as Repair } : null;
    case 'handoff': return isId(p['owner']) && entriesOk(p['entries'], versionsOk) ? { type, payload: p as unknown as Handoff } : null;
    case 'handoff-ack': return isId(p['owner']) && entriesOk(p['entries'], (digest) => typeof digest === 'string') ? { type, payload: p as unknown as HandoffAck } : null;
    case 'gossip': {
      const beats = p['heartbeats'];
      const ok = isRecord(beats) && Object.keys(beats).length <= 64 && Object.entries(beats).every(([node, beat]) => isId(node)
        && Array.isArray(beat) && beat.length === 2 && beat.every((part) => Number.isInteger(part) && (part as number) >= 0));
      return ok && typeof p['reply'] === 'boolean' ? { type, payload: p as unknown as Gossip } : null;
    }
    case 'merkle-level': {
      const nodes = p['nodes'];
      const ok = isId(p['exchange']) && Number.isInteger(p['depth']) && Number.isInteger(p['level']) && (p['level'] as number) >= 0 && (p['level'] as number) <= (p['depth'] as number)
        && Array.isArray(nodes) && nodes.length <= MESSAGE_ENTRIES_MAX
        && nodes.every((node) => Array.isArray(node) && node.length === 2 && Number.isInteger(node[0]) && node[0] >= 0 && node[0] < 2 ** (p['level'] as number) && Number.isInteger(node[1]));
      return ok ? { type, payload: p as unknown as MerkleLevel } : null;
    }
    case 'merkle-sync': {
      const leaves = p['leaves'];
      const depth = p['depth'];
      const ok = isId(p['exchange']) && Number.isInteger(depth) && (depth as number) >= 0 && (depth as number) <= 16 && entriesOk(p['entries'], versionsOk)
        && Array.isArray(leaves) && leaves.length <= MESSAGE_ENTRIES_MAX && leaves.every((leaf) => Number.isInteger(leaf) && leaf >= 0 && leaf < 2 ** (depth as number))
        && typeof p['reply'] === 'boolean';
      return ok ? { type, payload: p as unknown as MerkleSync } : null;
    }
    default: return null;
  }
}
