// Lamport clocks (Lamport 1978; the book, §3 "Time and order"): a counter that every
// event increments and every receive lifts above the sender's stamp, so that
// a → b implies L(a) < L(b). The converse does not hold: use vector clocks for that.

/** The stamp of a local or send event. */
export function lamportTick(current: number): number {
  return current + 1;
}

/** The stamp of a receive event carrying `received`. */
export function lamportReceive(current: number, received: number): number {
  return Math.max(current, received) + 1;
}
