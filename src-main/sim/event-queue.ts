// Simulated time: a priority queue of pending events, ordered by due time and, among events
// due at the same instant, by the order they were scheduled. The tie rule is what makes two
// runs of one seed identical: nothing depends on object identity, hashing or insertion into
// a Map of equal keys, only on (atMs, order of scheduling).

/** Events waiting at once; past it the run fails visibly (a protocol that floods the network). */
export const EVENT_QUEUE_MAX = 2_000_000;

interface Slot<Event> {
  atMs: number;
  order: number;
  event: Event;
}

export class EventQueue<Event> {
  private readonly heap: Slot<Event>[] = [];
  private scheduled = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Schedules `event` at `atMs`; events at one instant come out in the order they went in. */
  push(atMs: number, event: Event): void {
    if (!Number.isFinite(atMs)) throw new Error(`event queue: time must be finite, got ${atMs}`);
    if (this.heap.length >= EVENT_QUEUE_MAX) throw new Error(`event queue: more than ${EVENT_QUEUE_MAX} pending events`);
    const slot: Slot<Event> = { atMs, order: this.scheduled++, event };
    const heap = this.heap;
    heap.push(slot);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(slot, heap[parent]!)) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = slot;
  }

  /** The due time of the next event, or Infinity when none is left. */
  peekTime(): number {
    return this.heap[0]?.atMs ?? Infinity;
  }

  pop(): { atMs: number; event: Event } | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let index = 0;
      const length = heap.length;
      for (;;) {
        const left = 2 * index + 1;
        if (left >= length) break;
        const right = left + 1;
        const child = right < length && before(heap[right]!, heap[left]!) ? right : left;
        if (!before(heap[child]!, last)) break;
        heap[index] = heap[child]!;
        index = child;
      }
      heap[index] = last;
    }
    return { atMs: top.atMs, event: top.event };
  }
}

function before<Event>(a: Slot<Event>, b: Slot<Event>): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
}
