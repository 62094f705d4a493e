// A replica's data for primary/backup: the key-value map, the tail of the log that produced
// it, and how it is laid out in stable storage. Every mutation returns the stable writes that
// make it durable, so the core can put them in the same Ready as the messages that announce it.

import type { NodeId } from '../../contract/clock.ts';
import type { StableWrite } from '../../contract/core.ts';

/** One write of the log. `epoch` is the epoch of the primary that ordered it. */
export interface Entry {
  index: number;
  epoch: number;
  key: string;
  value: unknown;
}

/** A whole replica, as shipped by a state transfer. */
export interface Snapshot {
  lastIndex: number;
  /** Epoch of the entry at `lastIndex` (0 before any write): whose history this is. */
  lastEpoch: number;
  data: Record<string, unknown>;
  /** The retained log tail, ascending and contiguous, ending at `lastIndex`. */
  log: Entry[];
}

/** What survives a crash besides the data: the node's view of who is primary. */
export interface Meta {
  epoch: number;
  primary: NodeId;
  /** False between adopting a new primary and receiving its state. */
  inSync: boolean;
  lastIndex: number;
  lastEpoch: number;
}

/**
 * Only the last entries are kept, for backups that fell a little behind; a backup that fell
 * further gets a whole snapshot instead.
 */
export const LOG_ENTRIES_KEPT = 512;

export const STABLE_KEY = Object.freeze({
  meta: 'pb/meta',
  dataPrefix: 'pb/data/',
  logPrefix: 'pb/log/',
});

const logKey = (index: number): string => `${STABLE_KEY.logPrefix}${index}`;
const dataKey = (key: string): string => `${STABLE_KEY.dataPrefix}${key}`;

export class ReplicaStore {
  readonly data = new Map<string, unknown>();
  private log: Entry[] = [];
  lastIndex = 0;
  lastEpoch = 0;

  /** Applies the next write of the log. */
  append(entry: Entry, writes: StableWrite[]): void {
    if (entry.index !== this.lastIndex + 1) {
      throw new Error(`primary-backup: entry ${entry.index} appended after ${this.lastIndex}`);
    }
    this.data.set(entry.key, entry.value);
    this.log.push(entry);
    this.lastIndex = entry.index;
    this.lastEpoch = entry.epoch;
    writes.push({ key: dataKey(entry.key), value: entry.value }, { key: logKey(entry.index), value: entry });
    if (this.log.length > LOG_ENTRIES_KEPT) {
      const dropped = this.log.shift()!;
      writes.push({ key: logKey(dropped.index), value: undefined });
    }
  }

  /** Up to `max` entries from `fromIndex` on, or null when they have left the retained tail. */
  entriesFrom(fromIndex: number, max: number): Entry[] | null {
    const first = this.log[0]?.index ?? this.lastIndex + 1;
    if (fromIndex < first) return null;
    const start = fromIndex - first;
    return this.log.slice(start, start + max);
  }

  /** Retained entries ordered by the primary of `epoch`: what a stepping-down primary may lose. */
  countEntriesOfEpoch(epoch: number): number {
    return this.log.filter((entry) => entry.epoch === epoch).length;
  }

  snapshot(): Snapshot {
    return {
      lastIndex: this.lastIndex,
      lastEpoch: this.lastEpoch,
      data: Object.fromEntries(this.data),
      log: [...this.log],
    };
  }

  /** Replaces this replica by another's: what only this one had is gone. */
  replace(snapshot: Snapshot, writes: StableWrite[]): void {
    for (const key of this.data.keys()) {
      if (!Object.hasOwn(snapshot.data, key)) writes.push({ key: dataKey(key), value: undefined });
    }
    const kept = snapshot.log.slice(-LOG_ENTRIES_KEPT);
    const keptIndexes = new Set(kept.map((entry) => entry.index));
    // Delete only what the new log does not overwrite: one write per key per transaction.
    for (const entry of this.log) {
      if (!keptIndexes.has(entry.index)) writes.push({ key: logKey(entry.index), value: undefined });
    }
    this.data.clear();
    for (const [key, value] of Object.entries(snapshot.data)) {
      this.data.set(key, value);
      writes.push({ key: dataKey(key), value });
    }
    this.log = kept;
    for (const entry of this.log) writes.push({ key: logKey(entry.index), value: entry });
    this.lastIndex = snapshot.lastIndex;
    this.lastEpoch = snapshot.lastEpoch;
  }

  /** Rebuilds the replica from stable storage; returns the persisted meta, or null on first boot. */
  load(stable: ReadonlyMap<string, unknown>): Meta | null {
    const entries: Entry[] = [];
    for (const [key, value] of stable) {
      if (key.startsWith(STABLE_KEY.dataPrefix)) this.data.set(key.slice(STABLE_KEY.dataPrefix.length), value);
      else if (key.startsWith(STABLE_KEY.logPrefix)) entries.push(value as Entry);
    }
    this.log = entries.sort((a, b) => a.index - b.index).slice(-LOG_ENTRIES_KEPT);
    const meta = stable.get(STABLE_KEY.meta) as Meta | undefined;
    if (meta === undefined) return null;
    this.lastIndex = meta.lastIndex;
    this.lastEpoch = meta.lastEpoch;
    return meta;
  }
}

/** Which of two histories is further along: a later primary's history wins, then a longer one. */
export function compareSnapshots(a: Pick<Snapshot, 'lastEpoch' | 'lastIndex'>, b: Pick<Snapshot, 'lastEpoch' | 'lastIndex'>): number {
  return a.lastEpoch !== b.lastEpoch ? a.lastEpoch - b.lastEpoch : a.lastIndex - b.lastIndex;
}
