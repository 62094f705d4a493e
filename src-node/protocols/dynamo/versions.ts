// The versions of one key on one replica, and how concurrent writes are reconciled (Dynamo
// §4.4, the book's "vector clocks" and "last writer wins").
//
// Vector-clock mode keeps every concurrent version ("siblings") and lets the client merge
// them. A version carries a *dot* — (coordinator, counter), the write event that made it —
// and the *context* the client read before writing: a set of write events, kept compact as a
// vector (n1: 4 = "n1's writes 1 to 4 of this key") plus the dots that do not extend a run.
// A version's history is its context plus its dot, and a version is obsolete when another
// version's history holds its dot. These are dotted version vectors (Preguiça et al. 2010):
// with plain per-coordinator vector clocks, two clients writing through one coordinator with
// the same context get clocks {n1:1} and {n1:2}, and the second silently buries the first
// (Riak's lost-update bug before 2.0); with dots they stay siblings, as they should. A
// coordinator numbers its writes of a key 1, 2, 3… (it persists the last number per key), so
// a run of a vector entry is exactly the writes it names.
//
// Contexts grow with every coordinator that ever wrote a key. Dynamo and Riak prune a clock
// past a size bound by dropping its least recently advanced entries; a pruned context no
// longer covers some old dot, so that old version comes back as a *false sibling*: pruning
// trades space for spurious conflicts, never for silently lost writes. The lab counts them.
//
// LWW mode keeps one version per key, the one with the highest (node clock ms, node id)
// stamp. Clocks are not synchronized: a node whose clock runs behind writes versions that
// lose to older writes from a node whose clock runs ahead. That loss is the lesson.

import type { NodeId } from '../../contract/clock.ts';

export type ConflictPolicy = 'vector-clock' | 'lww';

export interface Dot {
  node: NodeId;
  counter: number;
}

/** A set of write events of one key: every (node, 1..vector[node]) plus `dots`; `touchedMs` for pruning. */
export interface Context {
  vector: Record<NodeId, number>;
  dots: Dot[];
  /** Per node, the coordinator clock of its latest write in this context (pruning drops the oldest). */
  touchedMs: Record<NodeId, number>;
}

export interface Version {
  value: unknown;
  dot: Dot;
  /** What the writing client had read: the versions this one supersedes. */
  context: Context;
  /** The coordinator's clock when it made the version (LWW orders by it). */
  stamp: { ms: number; node: NodeId };
}

export function emptyContext(): Context {
  return { vector: {}, dots: [], touchedMs: {} };
}

/** Whether the write event `dot` is in `context` (what a write made with that context supersedes). */
export function contextCovers(context: Context, dot: Dot): boolean {
  return contextHas(context, dot);
}

function contextHas(context: Context, dot: Dot): boolean {
  if ((context.vector[dot.node] ?? 0) >= dot.counter) return true;
  return context.dots.some((held) => held.node === dot.node && held.counter === dot.counter);
}

/** Whether `version`'s history (its context and its own dot) includes `dot`. */
export function covers(version: Version, dot: Dot): boolean {
  return (version.dot.node === dot.node && version.dot.counter === dot.counter) || contextHas(version.context, dot);
}

function stampAfter(a: Version['stamp'], b: Version['stamp']): boolean {
  return a.ms !== b.ms ? a.ms > b.ms : a.node > b.node;
}

const sameDot = (a: Version, b: Version): boolean => a.dot.node === b.dot.node && a.dot.counter === b.dot.counter;
const byNode = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Reconciles two sets of versions of one key (a replica's and an incoming write's, or two
 * replicas' during anti-entropy). Vector clocks: every version no other version covers, once
 * each. LWW: the single latest stamp. The result is in canonical order (by dot), so equal
 * states compare equal as JSON.
 */
export function reconcile(policy: ConflictPolicy, mine: readonly Version[], theirs: readonly Version[]): Version[] {
  const all = [...mine];
  for (const version of theirs) if (!all.some((kept) => sameDot(kept, version))) all.push(version);
  if (policy === 'lww') {
    const latest = all.reduce<Version | null>((best, version) => (best === null || stampAfter(version.stamp, best.stamp) ? version : best), null);
    return latest === null ? [] : [latest];
  }
  const live = all.filter((version) => !all.some((other) => !sameDot(other, version) && covers(other, version.dot)));
  return live.sort((a, b) => byNode(a.dot.node, b.dot.node) || a.dot.counter - b.dot.counter);
}

/** Folds dots that extend a node's run into the vector and drops dots the vector holds. */
function normalize(context: Context): Context {
  const vector = { ...context.vector };
  const pending = [...context.dots].sort((a, b) => byNode(a.node, b.node) || a.counter - b.counter);
  const dots: Dot[] = [];
  for (const dot of pending) {
    const run = vector[dot.node] ?? 0;
    if (dot.counter <= run) continue;
    if (dot.counter === run + 1) vector[dot.node] = dot.counter;
    else if (!dots.some((held) => held.node === dot.node && held.counter === dot.counter)) dots.push(dot);
  }
  // A run may now reach dots kept before it grew: fold again until nothing moves.
  const rest = dots.filter((dot) => dot.counter > (vector[dot.node] ?? 0));
  if (rest.some((dot) => dot.counter === (vector[dot.node] ?? 0) + 1)) return normalize({ vector, dots: rest, touchedMs: context.touchedMs });
  return { vector, dots: rest, touchedMs: context.touchedMs };
}

/** The context a client gets with a read: the union of the versions' histories. */
export function joinContext(versions: readonly Version[]): Context {
  const vector: Record<NodeId, number> = {};
  const dots: Dot[] = [];
  const touchedMs: Record<NodeId, number> = {};
  const touch = (node: NodeId, ms: number): void => { touchedMs[node] = Math.max(touchedMs[node] ?? Number.NEGATIVE_INFINITY, ms); };
  for (const version of versions) {
    for (const [node, counter] of Object.entries(version.context.vector)) vector[node] = Math.max(vector[node] ?? 0, counter);
    dots.push(...version.context.dots, version.dot);
    for (const [node, ms] of Object.entries(version.context.touchedMs)) touch(node, ms);
    touch(version.dot.node, version.stamp.ms);
  }
  return normalize({ vector, dots, touchedMs });
}

/** Nodes a context names (in its vector or its dots). */
export function contextNodes(context: Context): NodeId[] {
  return [...new Set([...Object.keys(context.vector), ...context.dots.map((dot) => dot.node)])].sort();
}

/**
 * Drops the entries of the least recently active nodes past `maxEntries` (Riak's
 * `big_vclock`, without its age thresholds). Returns the pruned context and how many nodes
 * went.
 */
export function pruneContext(context: Context, maxEntries: number): { context: Context; pruned: number } {
  const nodes = contextNodes(context);
  if (nodes.length <= maxEntries) return { context, pruned: 0 };
  const kept = new Set([...nodes].sort((a, b) => (context.touchedMs[b] ?? 0) - (context.touchedMs[a] ?? 0) || byNode(a, b)).slice(0, maxEntries));
  return {
    context: {
      vector: Object.fromEntries(Object.entries(context.vector).filter(([node]) => kept.has(node))),
      dots: context.dots.filter((dot) => kept.has(dot.node)),
      touchedMs: Object.fromEntries(Object.entries(context.touchedMs).filter(([node]) => kept.has(node))),
    },
    pruned: nodes.length - maxEntries,
  };
}

/** A short, stable digest of a key's versions, for Merkle leaves: equal sets give equal digests. */
export function versionsDigest(versions: readonly Version[]): string {
  return versions.map((version) => `${version.dot.node}:${version.dot.counter}`).sort().join(',');
}

function malformedContext(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'a context is an object';
  const context = raw as Partial<Context>;
  if (typeof context.vector !== 'object' || context.vector === null || Array.isArray(context.vector)) return 'a context has a vector';
  if (Object.values(context.vector).some((counter) => !Number.isInteger(counter) || counter < 0)) return 'a vector entry is a counter ≥ 0';
  if (!Array.isArray(context.dots) || context.dots.some((dot) => malformedDot(dot) !== null)) return 'a context has a list of dots';
  if (typeof context.touchedMs !== 'object' || context.touchedMs === null || Object.values(context.touchedMs).some((ms) => typeof ms !== 'number')) return 'a context has touchedMs';
  if (contextNodes(context as Context).length > CONTEXT_NODES_MAX) return `a context names at most ${CONTEXT_NODES_MAX} nodes`;
  return null;
}

function malformedDot(raw: unknown): string | null {
  const dot = raw as Partial<Dot> | null;
  if (typeof dot !== 'object' || dot === null || typeof dot.node !== 'string' || !Number.isInteger(dot.counter) || (dot.counter ?? 0) < 1) return 'a dot is {node, counter ≥ 1}';
  return null;
}

/** Most nodes one context may name (the lab's clusters have at most 15). */
export const CONTEXT_NODES_MAX = 64;

/** Checks a context a client sent; returns why it is malformed, or null. */
export function checkContext(raw: unknown): string | null {
  return malformedContext(raw);
}

/** Checks a version that arrived from the network; returns why it is malformed, or null. */
export function malformedVersion(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null) return 'a version is an object';
  const version = raw as Partial<Version>;
  const dot = malformedDot(version.dot);
  if (dot !== null) return dot;
  const context = malformedContext(version.context);
  if (context !== null) return context;
  const stamp = version.stamp;
  if (typeof stamp !== 'object' || stamp === null || typeof stamp.ms !== 'number' || typeof stamp.node !== 'string') return 'a version has a stamp {ms, node}';
  if (!('value' in version)) return 'a version has a value';
  return null;
}
