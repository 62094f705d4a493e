// Vector clocks (Fidge 1988, Mattern 1988; the book, §3): one counter per process, so
// that a → b exactly when VC(a) < VC(b). Clocks are plain objects and never mutated:
// every function returns a new clock. A missing entry counts as 0.

import type { ClockOrder, ProcessId, VectorClock } from '../../contract/clock.ts';

/** The clock of the next local (or send) event of `self`. */
export function tick(clock: VectorClock, self: ProcessId): VectorClock {
  return { ...clock, [self]: (clock[self] ?? 0) + 1 };
}

/** The entrywise maximum: what a process knows after hearing of both. */
export function merge(a: VectorClock, b: VectorClock): VectorClock {
  const merged: VectorClock = { ...a };
  for (const [process, count] of Object.entries(b)) {
    if (count > (merged[process] ?? 0)) merged[process] = count;
  }
  return merged;
}

/** The clock of a receive event: merge with the message's clock, then tick. */
export function receive(clock: VectorClock, received: VectorClock, self: ProcessId): VectorClock {
  return tick(merge(clock, received), self);
}

/** How `a` relates to `b`: `before` means a happened before b. */
export function compare(a: VectorClock, b: VectorClock): ClockOrder {
  let aSmaller = false;
  let bSmaller = false;
  for (const process of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const left = a[process] ?? 0;
    const right = b[process] ?? 0;
    if (left < right) aSmaller = true;
    else if (left > right) bSmaller = true;
    if (aSmaller && bSmaller) return 'concurrent';
  }
  if (aSmaller) return 'before';
  if (bSmaller) return 'after';
  return 'equal';
}

export function happenedBefore(a: VectorClock, b: VectorClock): boolean {
  return compare(a, b) === 'before';
}

export function concurrent(a: VectorClock, b: VectorClock): boolean {
  return compare(a, b) === 'concurrent';
}
