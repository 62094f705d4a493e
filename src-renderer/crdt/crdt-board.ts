// What the CRDT panel draws, computed from the replicas' CrdtViews (src-node/contract/core.ts):
// the replicas of a run and the keys they hold, and the lattice (Hasse diagram) of small states
// with each replica's current state marked — the book's two drawings in §5: the subsets of
// {a, b, c} ordered by inclusion (merge = union) and the integers ordered by size (merge = max).
// The merge of two states, step by step, is src-node/protocols/crdt/explain.ts.
//
// Pure: no DOM, no Vue.

import type { CoreStatus, CrdtView, CrdtViewKey } from '../../src-node/contract/core.ts';

/** Elements a set lattice may have: 2^4 = 16 states is as many as a diagram shows legibly. */
export const HASSE_SET_ELEMENTS_MAX = 4;
/** States a counter lattice may have (the product of each slot's range). */
export const HASSE_COUNTER_STATES_MAX = 40;

export interface ReplicaState {
  replica: string;
  /** The key's state on that replica; undefined when it has not heard of the key. */
  entry: CrdtViewKey | undefined;
}

export interface HasseNode {
  id: string;
  label: string;
  level: number;
  /** Position in [0, 1] × [0, 1]; y = 1 is the bottom. */
  x: number;
  y: number;
  /** The replicas whose state is this one. */
  replicas: string[];
}

export type HasseDiagram =
  | { kind: 'diagram'; caption: string; nodes: HasseNode[]; edges: [string, string][] }
  | { kind: 'none'; reason: string };

/** The CRDT views of the nodes that report one, by node id. */
export function crdtViews(statuses: Iterable<[string, CoreStatus | null | undefined]>): Map<string, CrdtView> {
  const views = new Map<string, CrdtView>();
  for (const [node, status] of statuses) if (status?.view?.protocol === 'crdt-gossip') views.set(node, status.view);
  return views;
}

/** Every key any replica carries, sorted. */
export function keysOf(views: ReadonlyMap<string, CrdtView>): string[] {
  return [...new Set([...views.values()].flatMap((view) => view.keys.map((entry) => entry.key)))].sort();
}

export function replicaStates(views: ReadonlyMap<string, CrdtView>, key: string): ReplicaState[] {
  return [...views.entries()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([replica, view]) => ({ replica, entry: view.keys.find((entry) => entry.key === key) }));
}

/** A state the type starts from, for a replica that has not heard of the key. */
export function bottomOf(type: string): unknown {
  if (type === 'g-counter') return {};
  if (type === 'pn-counter') return { decrements: {}, increments: {} };
  if (type === 'max-register') return null;
  if (type === 'lww-register') return { stamp: null, value: null };
  if (type === 'mv-register' || type === 'g-set' || type === 'lww-element-set' || type === 'pn-set') return [];
  if (type === '2p-set') return { added: [], removed: [] };
  if (type === 'or-set') return { clock: {}, entries: [] };
  if (type === 'naive-concat') return { pieces: [] };
  return null;
}

const SET_TYPES = new Set(['g-set', '2p-set', 'lww-element-set', 'pn-set', 'or-set']);

/** The lattice to draw for this type and these replicas, or why there is none. */
export function hasseOf(type: string, replicas: readonly ReplicaState[]): HasseDiagram {
  if (SET_TYPES.has(type)) return setLattice(type, replicas);
  if (type === 'g-counter' || type === 'pn-counter') return counterLattice(type, replicas);
  if (type === 'max-register') return maxChain(replicas);
  if (type === 'naive-concat') return { kind: 'none', reason: 'not a CRDT: its states form no lattice (two replicas can hold the same pieces in orders neither of which is above the other)' };
  return { kind: 'none', reason: `${type}: stamps and clocks make its lattice too large to draw; see the merge steps` };
}

function setLattice(type: string, replicas: readonly ReplicaState[]): HasseDiagram {
  const valueOf = (state: ReplicaState): string[] => (Array.isArray(state.entry?.value) ? (state.entry!.value as string[]) : []);
  const universe = [...new Set(replicas.flatMap(valueOf))].sort();
  if (universe.length > HASSE_SET_ELEMENTS_MAX) return { kind: 'none', reason: `${universe.length} elements: 2^${universe.length} subsets are too many to draw (at most ${HASSE_SET_ELEMENTS_MAX} elements)` };
  const subsets: string[][] = [];
  for (let mask = 0; mask < 1 << universe.length; mask += 1) subsets.push(universe.filter((_, index) => (mask & (1 << index)) !== 0));
  const id = (subset: readonly string[]): string => JSON.stringify(subset);
  const edges: [string, string][] = [];
  for (const subset of subsets) {
    for (const element of universe) if (!subset.includes(element)) edges.push([id(subset), id([...subset, element].sort())]);
  }
  const nodes = layout(subsets.map((subset) => ({
    id: id(subset), label: subset.length === 0 ? '∅' : `{${subset.join(', ')}}`, level: subset.length,
    replicas: replicas.filter((state) => id(valueOf(state)) === id(subset)).map((state) => state.replica),
  })));
  const caption = type === 'g-set'
    ? 'The G-Set\'s states ordered by inclusion; merge = union (the book\'s drawing of {a, b, c}).'
    : 'What a read returns, ordered by inclusion. The payload also keeps tombstones, stamps or tags, so its own lattice is larger: two replicas may read alike and still differ.';
  return { kind: 'diagram', caption, nodes, edges };
}

/** A counter as a vector of slots (pn: increments and decrements), every vector below the join of the replicas. */
function counterLattice(type: string, replicas: readonly ReplicaState[]): HasseDiagram {
  const slotsOf = (state: unknown): Record<string, number> => {
    if (type === 'g-counter') return { ...(state as Record<string, number> | undefined ?? {}) };
    const pn = (state ?? {}) as { increments?: Record<string, number>; decrements?: Record<string, number> };
    return Object.fromEntries([
      ...Object.entries(pn.increments ?? {}).map(([replica, count]) => [`+${replica}`, count]),
      ...Object.entries(pn.decrements ?? {}).map(([replica, count]) => [`−${replica}`, count]),
    ]);
  };
  const vectors = replicas.map((state) => slotsOf(state.entry?.state));
  const slots = [...new Set(vectors.flatMap((vector) => Object.keys(vector)))].sort();
  const top = slots.map((slot) => Math.max(0, ...vectors.map((vector) => vector[slot] ?? 0)));
  const size = top.reduce((product, count) => product * (count + 1), 1);
  if (size > HASSE_COUNTER_STATES_MAX) return { kind: 'none', reason: `${size} states below the replicas' join: too many to draw (at most ${HASSE_COUNTER_STATES_MAX})` };
  const all: number[][] = [[]];
  for (const max of top) {
    const next: number[][] = [];
    for (const prefix of all) for (let count = 0; count <= max; count += 1) next.push([...prefix, count]);
    all.splice(0, all.length, ...next);
  }
  const id = (vector: readonly number[]): string => vector.join(',');
  const label = (vector: readonly number[]): string => (slots.length === 0 ? '0' : slots.map((slot, index) => `${slot}:${vector[index]}`).join(' '));
  const edges: [string, string][] = [];
  for (const vector of all) {
    vector.forEach((count, index) => {
      if (count < top[index]!) edges.push([id(vector), id(vector.map((value, at) => (at === index ? value + 1 : value)))]);
    });
  }
  const nodes = layout(all.map((vector) => ({
    id: id(vector), label: label(vector), level: vector.reduce((sum, count) => sum + count, 0),
    replicas: replicas.filter((_, index) => id(slots.map((slot) => vectors[index]![slot] ?? 0)) === id(vector)).map((state) => state.replica),
  })));
  return { kind: 'diagram', caption: 'One slot per replica (and sign); a state is below another when every slot is; merge = the slot-wise maximum.', nodes, edges };
}

/** The book's other drawing: integers ordered by size, merge = max; ⊥ before anything is proposed. */
function maxChain(replicas: readonly ReplicaState[]): HasseDiagram {
  const valueOf = (state: ReplicaState): number | null => (typeof state.entry?.state === 'number' ? state.entry.state : null);
  const values = [...new Set(replicas.map(valueOf).filter((value): value is number => value !== null))].sort((a, b) => a - b);
  const chain: (number | null)[] = [null, ...values];
  const id = (value: number | null): string => (value === null ? '⊥' : String(value));
  const nodes = layout(chain.map((value, index) => ({
    id: id(value), label: id(value), level: index, replicas: replicas.filter((state) => valueOf(state) === value).map((state) => state.replica),
  })));
  const edges = chain.slice(1).map((value, index): [string, string] => [id(chain[index]!), id(value)]);
  return { kind: 'diagram', caption: 'The values proposed, ordered by size; merge = max (the book\'s "strictly increasing integer" lattice).', nodes, edges };
}

/** Levels bottom to top, nodes of a level spread evenly. */
function layout(nodes: Omit<HasseNode, 'x' | 'y'>[]): HasseNode[] {
  const levels = Math.max(0, ...nodes.map((node) => node.level));
  const byLevel = new Map<number, Omit<HasseNode, 'x' | 'y'>[]>();
  for (const node of nodes) byLevel.set(node.level, [...(byLevel.get(node.level) ?? []), node]);
  return nodes.map((node) => {
    const row = byLevel.get(node.level)!;
    return { ...node, x: (row.indexOf(node) + 1) / (row.length + 1), y: levels === 0 ? 0.5 : 1 - node.level / levels };
  });
}
