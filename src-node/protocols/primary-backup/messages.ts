// The messages of primary/backup and the checks that a payload from the wire has their shape.
// Every message carries the sender's view (epoch and the primary it believes in), so that any
// message can tell its receiver that the world has moved on.

import type { NodeId } from '../../contract/clock.ts';
import type { Entry, Snapshot } from './store.ts';

export const MESSAGE = Object.freeze({
  /** Primary → backups: log entries to apply, and the primary's last index. */
  replicate: 'replicate',
  /** Backup → primary: "I have applied everything up to lastIndex" (cumulative). */
  ack: 'ack',
  /** Backup → primary: "send me the entries from fromIndex"; answered by `replicate` or `state-transfer`. */
  catchUp: 'catch-up',
  /** A node that became primary → everyone: "send me your state before I serve". */
  newPrimary: 'new-primary',
  /** Answer to `new-primary`: the backup's whole replica. */
  promoteReply: 'promote-reply',
  /** Backup → primary: "I adopted your epoch; send me your state". */
  stateRequest: 'state-request',
  /** Primary → backup: replace your replica by mine. */
  stateTransfer: 'state-transfer',
  /** Answer to any message from an older view: "the epoch is now this, the primary is that". */
  staleEpoch: 'stale-epoch',
});

/** Who the sender believes is primary, and in which epoch. */
export interface View {
  epoch: number;
  primary: NodeId;
}

export interface ReplicatePayload extends View {
  entries: Entry[];
  lastIndex: number;
}

export interface AckPayload extends View {
  lastIndex: number;
}

export interface CatchUpPayload extends View {
  fromIndex: number;
}

export interface SnapshotPayload extends View {
  snapshot: Snapshot;
}

/**
 * Node ids in natural order (n2 before n10): by the id without its trailing digits, then by
 * that number, then by the whole string. A total order, so every node sorts the cluster alike.
 */
export function compareNodeIds(a: NodeId, b: NodeId): number {
  const [prefixA, numberA] = splitId(a);
  const [prefixB, numberB] = splitId(b);
  if (prefixA !== prefixB) return prefixA < prefixB ? -1 : 1;
  if (numberA !== numberB) return numberA - numberB;
  return a === b ? 0 : a < b ? -1 : 1;
}

function splitId(id: NodeId): [prefix: string, number: number] {
  const match = /^(.*?)(\d+)$/.exec(id);
  return match ? [match[1]!, Number(match[2])] : [id, -1];
}

/**
 * Which view is newer: a higher epoch wins; in one epoch (two nodes promoted themselves at
 * once) the lower primary id wins, so that two primaries of one epoch cannot both stay.
 */
export function compareViews(a: View, b: View): number {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch;
  return -compareNodeIds(a.primary, b.primary);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

export function isView(payload: unknown): payload is View {
  return isObject(payload) && isCount(payload['epoch']) && typeof payload['primary'] === 'string';
}

export function isEntry(value: unknown): value is Entry {
  return (
    isObject(value) &&
    isCount(value['index']) &&
    isCount(value['epoch']) &&
    typeof value['key'] === 'string' &&
    value['value'] !== undefined
  );
}

export function isSnapshot(value: unknown): value is Snapshot {
  return (
    isObject(value) &&
    isCount(value['lastIndex']) &&
    isCount(value['lastEpoch']) &&
    isObject(value['data']) &&
    Array.isArray(value['log']) &&
    value['log'].every(isEntry)
  );
}

export function isReplicate(payload: View): payload is ReplicatePayload {
  const record = payload as unknown as Record<string, unknown>;
  return Array.isArray(record['entries']) && record['entries'].every(isEntry) && isCount(record['lastIndex']);
}

export function hasIndex<Field extends 'lastIndex' | 'fromIndex'>(
  payload: View,
  field: Field,
): payload is View & Record<Field, number> {
  return isCount((payload as unknown as Record<string, unknown>)[field]);
}

export function hasSnapshot(payload: View): payload is SnapshotPayload {
  return isSnapshot((payload as unknown as Record<string, unknown>)['snapshot']);
}
