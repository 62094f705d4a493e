// The common shape of the state-based CRDTs (CvRDTs) of Shapiro, Preguiça, Baquero and
// Zawirski, "A comprehensive study of Convergent and Commutative Replicated Data Types"
// (INRIA RR-7506, 2011), §2.2, and of the book, §5 "CRDTs: Convergent replicated data types".
//
// What every type here guarantees: its states form a join-semilattice whose join is `merge`
// (associative, commutative, idempotent: "so that grouping doesn't matter", "so that order of
// application doesn't matter", "so that duplication does not matter"), and every successful
// `update` is an inflation (the new state is ≥ the old one). So replicas that have seen the
// same updates, through any pattern of gossip, hold equal states — "strong eventual
// consistency" in the paper's words. What a type does NOT guarantee is that its resolution of
// concurrent operations is the one the application wanted: each type names that price in
// `describe().anomaly` and in the comment at the top of its file.
//
// A state is plain JSON (it travels in messages and is stored in SQLite) and every function
// here returns it in canonical form — object keys and set elements sorted, no zero counters —
// so that equal states serialize to equal strings (`stateKey`). States and updates that come
// from the outside (another replica, a client) go through `parseState` / `parseUpdate`, which
// reject bad input with an error value, never an exception: a malformed message is an
// expected fault, not a bug.

import type { ClockOrder, ProcessId } from '../../contract/clock.ts';

/** A plain JSON value: what a register holds and what every state is made of. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * How two states relate in the lattice: `before` means a < b (b has seen everything a has,
 * and more), as for vector clocks.
 */
export type LatticeOrder = ClockOrder;

/** Who applies an update, and (for the last-writer-wins types) their clock's reading. */
export interface UpdateContext {
  replica: ProcessId;
  /** The replica's physical clock; required by the LWW types, ignored by the others. */
  timestampMs?: number;
}

/** The outcome of checking outside input: a value, or why it was refused. */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

export interface CrdtDescription {
  /** What the state holds. */
  payload: string;
  /** How two states are joined. */
  merge: string;
  /** The behaviour the type accepts in exchange for convergence without coordination. */
  anomaly: string;
}

/**
 * A state-based CRDT. All functions are pure and never mutate their arguments.
 *
 * Differs from the paper's interface in two ways, both on purpose: `initial()` takes no
 * replica, because the initial state must be the same bottom element everywhere (a replica's
 * identity arrives with each update instead); and `update` returns a `Checked` state, because
 * a refused update (a precondition of the paper, like "remove only what you observed") is a
 * protocol value that the host reports to its client.
 *
 * Methods (not function properties) so that every type fits `AnyCrdt` in the registry.
 */
export interface StateCrdt<State, Update, Value> {
  /** The name scenarios and messages use, e.g. `or-set`. */
  readonly name: string;
  /** True when `update` needs `context.timestampMs` (the LWW types). */
  readonly usesTimestamps: boolean;
  /** The bottom of the lattice: every replica starts here. */
  initial(): State;
  /** Apply a client's update at `context.replica`; the new state is ≥ `state`. */
  update(state: State, update: Update, context: UpdateContext): Checked<State>;
  /** The least upper bound of two valid states. */
  merge(a: State, b: State): State;
  /** What a client reads. */
  value(state: State): Value;
  /** The lattice order, computed from the payload (not from `merge`). */
  compare(a: State, b: State): LatticeOrder;
  /** The canonical form of a valid state (sorted, no zero entries). */
  canonical(state: State): State;
  /** Check a state that arrived from outside and return its canonical form. */
  parseState(raw: unknown): Checked<State>;
  /** Check an update that arrived from outside. */
  parseUpdate(raw: unknown): Checked<Update>;
  describe(): CrdtDescription;
}

// Bivariant method parameters let any StateCrdt<S, U, V> be stored as this.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCrdt = StateCrdt<any, any, any>;

/** Equal canonical states have equal keys. */
export function stateKey(state: unknown): string {
  return JSON.stringify(state);
}
