// Raft's log and how it lies in stable storage. Every mutation reports the stable writes that
// make it durable through `write`, so the core puts them in the Ready of the same step as the
// messages that depend on them (the host persists before anything leaves).
//
// Stable layout:
//   raft/hard          { term, votedFor }                        currentTerm and votedFor (Figure 2)
//   raft/log/<index>   Entry                                      one key per entry after the snapshot
//   raft/snapshot      { index, term, voters, machine }           lastIncludedIndex/Term, config, kv + sessions
// Compaction and truncation delete the `raft/log/<index>` keys they drop.

import type { Command, MachineSnapshot } from './state-machine.ts';

export const STABLE_KEY = Object.freeze({
  hard: 'raft/hard',
  logPrefix: 'raft/log/',
  snapshot: 'raft/snapshot',
});

export const logKey = (index: number): string => `${STABLE_KEY.logPrefix}${index}`;

/**
 * One entry. `noop` is what a new leader appends to commit an entry of its term (§5.4.2, §8);
 * `config` carries the voting members, in force from the moment it is appended (§4.1 of the
 * dissertation: single-server changes).
 */
export type Entry =
  | { index: number; term: number; kind: 'noop' }
  | { index: number; term: number; kind: 'command'; command: Command }
  | { index: number; term: number; kind: 'config'; voters: string[] };

export interface HardState {
  term: number;
  votedFor: string | null;
}

export interface Snapshot {
  /** lastIncludedIndex and lastIncludedTerm of Figure 13. */
  index: number;
  term: number;
  /** The configuration in force at `index`. */
  voters: string[];
  machine: MachineSnapshot;
}

export type Write = (key: string, value: unknown) => void;

export class RaftLog {
  snapshotIndex = 0;
  snapshotTerm = 0;
  /** Entries snapshotIndex+1 … lastIndex, in order. */
  private entries: Entry[] = [];

  constructor(private readonly write: Write) {}

  get lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  get lastTerm(): number {
    return this.termAt(this.lastIndex)!;
  }

  /** The term of the entry at `index`; undefined when it is compacted away or does not exist. */
  termAt(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    return this.entry(index)?.term;
  }

  entry(index: number): Entry | undefined {
    if (index <= this.snapshotIndex) return undefined;
    return this.entries[index - this.snapshotIndex - 1];
  }

  /** Up to `max` entries from `from` on (from > snapshotIndex). */
  slice(from: number, max: number): Entry[] {
    const start = from - this.snapshotIndex - 1;
    if (start < 0) throw new Error(`raft: entries from ${from} are compacted (snapshot at ${this.snapshotIndex})`);
    return this.entries.slice(start, start + max);
  }

  /** Entries after `index`, newest last, for the configuration scan. */
  entriesAfter(index: number): readonly Entry[] {
    return this.entries.slice(Math.max(0, index - this.snapshotIndex));
  }

  append(entry: Entry): void {
    if (entry.index !== this.lastIndex + 1) throw new Error(`raft: entry ${entry.index} appended after ${this.lastIndex}`);
    if (entry.term < this.lastTerm) throw new Error(`raft: entry of term ${entry.term} after term ${this.lastTerm}`);
    this.entries.push(entry);
    this.write(logKey(entry.index), entry);
  }

  /** Deletes the entry at `index` and all that follow it (Figure 2, AppendEntries rule 3). */
  truncateFrom(index: number): void {
    if (index <= this.snapshotIndex) throw new Error(`raft: cannot truncate at ${index}, inside the snapshot (${this.snapshotIndex})`);
    for (let dropped = index; dropped <= this.lastIndex; dropped += 1) this.write(logKey(dropped), undefined);
    this.entries.length = index - this.snapshotIndex - 1;
  }

  /** The log's prefix up to `index` is now in a snapshot: drop it (Raft §7). */
  compact(index: number, term: number): void {
    if (index <= this.snapshotIndex) return;
    const kept = index < this.lastIndex && this.termAt(index) === term ? this.entries.slice(index - this.snapshotIndex) : [];
    const dropped = kept.length > 0 ? this.entries.slice(0, index - this.snapshotIndex) : this.entries;
    for (const entry of dropped) this.write(logKey(entry.index), undefined);
    this.entries = kept;
    this.snapshotIndex = index;
    this.snapshotTerm = term;
  }

  /** The first index of the term that holds `index`, not before the snapshot: the follower's conflict hint. */
  firstIndexOfTermAt(index: number): number {
    const term = this.termAt(index);
    let first = index;
    while (first - 1 > this.snapshotIndex && this.termAt(first - 1) === term) first -= 1;
    return first;
  }

  /** The last index whose entry has `term`, or 0 when the log (after the snapshot) has none: the leader's side of fast back-off. */
  lastIndexOfTerm(term: number): number {
    for (let index = this.lastIndex; index > this.snapshotIndex; index -= 1) {
      const entryTerm = this.termAt(index)!;
      if (entryTerm === term) return index;
      if (entryTerm < term) return 0;
    }
    return 0;
  }

  /** §5.4.1: the log with the later last term is more up-to-date; with equal terms, the longer one. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    return lastTerm > this.lastTerm || (lastTerm === this.lastTerm && lastIndex >= this.lastIndex);
  }

  /** Rebuilds the log from stable storage: the snapshot, then the contiguous entries after it. Stray keys are deleted. */
  load(stable: ReadonlyMap<string, unknown>, snapshot: Snapshot | null): void {
    this.snapshotIndex = snapshot?.index ?? 0;
    this.snapshotTerm = snapshot?.term ?? 0;
    const found: Entry[] = [];
    for (const [key, value] of stable) {
      if (key.startsWith(STABLE_KEY.logPrefix)) found.push(value as Entry);
    }
    found.sort((a, b) => a.index - b.index);
    this.entries = [];
    for (const entry of found) {
      if (entry.index === this.lastIndex + 1 && entry.term >= this.lastTerm) this.entries.push(entry);
      else this.write(logKey(entry.index), undefined);
    }
  }
}
