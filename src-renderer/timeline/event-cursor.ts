// Incremental reading of a growing event array. The views get the whole trace as one
// array prop that the parent appends to (in place or as a new array). Re-reading 100,000
// events on every batch would make the diagram stutter, so each view keeps a cursor — the
// last event it took in — and only reads what came after it. Anything else (a new run,
// a trimmed buffer, a different filter) makes the view start over.

import type { StoredEvent } from '../../src-node/contract/trace.ts';

export interface EventCursor {
  /** The last event taken in, or null before the first. */
  last: StoredEvent | null;
  /** How many events were taken in since the last reset. */
  taken: number;
}

export function createCursor(): EventCursor {
  return { last: null, taken: 0 };
}

export interface IngestPlan {
  /** Forget everything and read `events` from index 0. */
  reset: boolean;
  /** Index of the first event still to read. */
  from: number;
}

/** Where to continue reading `events`, given what the cursor has already taken in. */
export function planIngest(cursor: EventCursor, events: readonly StoredEvent[]): IngestPlan {
  const last = cursor.last;
  if (last === null) return { reset: cursor.taken > 0, from: 0 };
  const index = indexOfId(events, last.id);
  if (index < 0 || !sameEvent(events[index]!, last)) return { reset: true, from: 0 };
  // The parent trimmed its buffer a lot: start over so that we do not keep far more
  // than the parent does.
  if (cursor.taken > 2 * events.length + 1000) return { reset: true, from: 0 };
  return { reset: false, from: index + 1 };
}

/** Moves the cursor past `events[from..]`. */
export function advanceCursor(cursor: EventCursor, events: readonly StoredEvent[], from: number): void {
  if (events.length > from) {
    cursor.last = events[events.length - 1]!;
    cursor.taken += events.length - from;
  }
}

/** Row ids rise in arrival order, so a binary search finds one; falls back to a scan. */
function indexOfId(events: readonly StoredEvent[], id: number): number {
  let low = 0;
  let high = events.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const middleId = events[middle]!.id;
    if (middleId === id) return middle;
    if (middleId < id) low = middle + 1;
    else high = middle - 1;
  }
  for (let i = events.length - 1; i >= 0; i--) if (events[i]!.id === id) return i;
  return -1;
}

/** Ids restart in a new run, so an id alone does not say it is the same event. */
function sameEvent(a: StoredEvent, b: StoredEvent): boolean {
  return a === b || (a.node === b.node && a.seq === b.seq && a.kind === b.kind && a.labTimeMs === b.labTimeMs);
}
