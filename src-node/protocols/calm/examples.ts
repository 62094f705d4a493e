// Node programs the lab ships for the CALM lesson, each with what the analysis must say
// (tests check it), what running it on a cluster with reordered, duplicated messages shows
// (the schedule search, src-main/calm/schedules.ts, checks it), and what its inputs look like
// (the lab's `input` workload, src-main/workload/calm.ts, draws them).

import type { Constant } from './language.ts';

/** What a client feeds one input collection: each column's candidate values, and how often (relative weight). */
export interface InputShape {
  collection: string;
  values: Constant[][];
  weight: number;
}

/**
 * What the schedule search finds without coordination: `state` — some schedule leaves the
 * replicas' final tables different; `conclusions` — the final tables agree, but a point of
 * order concluded different things on the way (a reader could have seen it); null — every
 * schedule ends alike.
 */
export type Divergence = 'state' | 'conclusions' | null;

export interface CalmExample {
  name: string;
  title: string;
  /** What to expect, in a sentence or two, for the UI and the docs. */
  lesson: string;
  source: string;
  /** Lines of the rules the analysis must report as points of order (empty: confluent). */
  expectedPointsOfOrder: number[];
  /** The workload's inputs: small domains, so that clients collide (add and remove the same item). */
  inputs: InputShape[];
  /** Inputs each client gives before it seals its node's inputs. */
  inputsPerClient: number;
  /** What the schedule search must find without coordination (with it: nothing, for every example). */
  diverges: Divergence;
}

export const CALM_EXAMPLES: readonly CalmExample[] = [
  {
    name: 'set-union',
    title: 'Set union: monotone',
    lesson: 'Every node adds what it hears to a set. Union only grows, so any order and any duplication of messages ends with the same set everywhere: no coordination needed.',
    source: `table seen(item).
channel share(@node, item).
input client_add(item).

seen(I) :- client_add(I).
share(@N, I) :- client_add(I), node(N).
seen(I) :- share(_, I).
`,
    expectedPointsOfOrder: [],
    inputs: [{ collection: 'client_add', values: [['apple', 'bread', 'cheese', 'dates', 'eggs', 'figs']], weight: 1 }],
    inputsPerClient: 4,
    diverges: null,
  },
  {
    name: 'cart-destructive',
    title: 'Shopping cart, destructive',
    lesson: 'Removing an item deletes it from the cart when the removal arrives. A node that hears the removal before the addition deletes nothing and then adds the item: its cart keeps what another node\'s cart lost. The deletion is a point of order.',
    source: `table cart(item).
channel add(@node, item).
channel remove(@node, item).
input client_add(item).
input client_remove(item).

add(@N, I) :- client_add(I), node(N).
remove(@N, I) :- client_remove(I), node(N).
cart(I) :- add(_, I).
delete cart(I) :- remove(_, I), cart(I).
`,
    expectedPointsOfOrder: [10],
    inputs: [
      { collection: 'client_add', values: [['milk', 'eggs', 'bread']], weight: 2 },
      { collection: 'client_remove', values: [['milk', 'eggs', 'bread']], weight: 1 },
    ],
    inputsPerClient: 4,
    diverges: 'state',
  },
  {
    name: 'cart-monotone',
    title: 'Shopping cart, disorderly (monotone state)',
    lesson: 'Additions and removals are both accumulated as facts (two grow-only sets), which converge in any order. Only the view "what is in the cart" negates, and it is the one point of order: coordinate once, at checkout, not at every click.',
    source: `table added(item).
table removed(item).
scratch cart(item).
channel add(@node, item).
channel remove(@node, item).
input client_add(item).
input client_remove(item).

add(@N, I) :- client_add(I), node(N).
remove(@N, I) :- client_remove(I), node(N).
added(I) :- add(_, I).
removed(I) :- remove(_, I).
cart(I) :- added(I), not removed(I).
`,
    expectedPointsOfOrder: [13],
    inputs: [
      { collection: 'client_add', values: [['milk', 'eggs', 'bread']], weight: 2 },
      { collection: 'client_remove', values: [['milk', 'eggs', 'bread']], weight: 1 },
    ],
    inputsPerClient: 4,
    diverges: 'conclusions',
  },
  {
    name: 'kv-overwrite',
    title: 'Key-value store with overwrite',
    lesson: 'A put replaces the old value of a key. Two puts of one key reach nodes in different orders, and each node keeps the one it heard last: replicas disagree forever. Overwrite is deletion, a point of order.',
    source: `table kv(key, value).
channel put(@node, key, value).
input client_put(key, value).

put(@N, K, V) :- client_put(K, V), node(N).
kv(K, V) :- put(_, K, V).
delete kv(K, Old) :- put(_, K, New), kv(K, Old), Old != New.
`,
    expectedPointsOfOrder: [7],
    inputs: [{ collection: 'client_put', values: [['x', 'y'], [1, 2, 3, 4]], weight: 1 }],
    inputsPerClient: 3,
    diverges: 'state',
  },
  {
    name: 'vote-count',
    title: 'A count that must wait for all inputs',
    lesson: 'Each node counts the votes it has heard and reports whether all three are in. Counting asserts "these are all the votes": read before the last vote arrives, the answer is wrong and changes later. Aggregation over a channel is a point of order: wait (coordinate) until every voter is heard.',
    source: `table votes(voter).
scratch tally(n).
table reported(n).
channel vote(@node, voter).
input client_vote(voter).

vote(@N, V) :- client_vote(V), node(N).
votes(V) :- vote(_, V).
tally(count<V>) :- votes(V).
reported(C) :- tally(C).
`,
    expectedPointsOfOrder: [9],
    inputs: [{ collection: 'client_vote', values: [['alice', 'bob', 'carol', 'dave', 'erin']], weight: 1 }],
    inputsPerClient: 2,
    diverges: 'state',
  },
  {
    name: 'garbage-collection',
    title: 'Distributed garbage collection',
    lesson: 'An object is garbage when nothing reachable from a root refers to it. Objects, roots and references arrive from other nodes over channels, so "no reference to x" can be concluded too early: a node declares garbage an object that a late message shows is still in use. Negation over distributed state is a point of order.',
    source: `table object(id).
table root(id).
table refs(from, to).
scratch reachable(id).
scratch garbage(id).
channel new_object(@node, id).
channel new_root(@node, id).
channel reference(@node, from, to).
input client_object(id).
input client_root(id).
input client_ref(from, to).

new_object(@N, X) :- client_object(X), node(N).
new_root(@N, X) :- client_root(X), node(N).
reference(@N, F, T) :- client_ref(F, T), node(N).
object(X) :- new_object(_, X).
root(X) :- new_root(_, X).
refs(F, T) :- reference(_, F, T).
reachable(X) :- root(X).
reachable(Y) :- reachable(X), refs(X, Y).
garbage(X) :- object(X), not reachable(X).
`,
    expectedPointsOfOrder: [21],
    inputs: [
      { collection: 'client_object', values: [['a', 'b', 'c', 'd']], weight: 2 },
      { collection: 'client_root', values: [['a']], weight: 1 },
      { collection: 'client_ref', values: [['a', 'b', 'c'], ['b', 'c', 'd']], weight: 2 },
    ],
    inputsPerClient: 4,
    diverges: 'conclusions',
  },
];
