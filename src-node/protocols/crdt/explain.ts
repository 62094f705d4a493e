// A merge, explained component by component, for the lab's CRDT view: the two states, cut into
// the parts of their payload (a counter's slot per replica, a set's entry per element, a
// register's stamped value …), and for each part what the left side had, what the right side
// had, what the merge kept, which side that was and why.
//
// The merged state is always the type's own `merge`: the explanation reads the result, it never
// computes one of its own, so the view cannot show a merge the cores do not do.
//
// Pure; imported by the renderer (like the clocks), which has the states from each replica's
// status view.

import type { AnyCrdt } from './crdt.ts';
import { stateKey } from './crdt.ts';
import { REPLICATED_TYPES } from './index.ts';

export interface MergeStep {
  /** The part of the payload: `n1` (a counter's slot), `+n1` / `−n1`, `milk` (an element) … */
  component: string;
  /** What each side and the merge hold there, as short text; `—` for nothing. */
  left: string;
  right: string;
  merged: string;
  /** `left`/`right`: the merge kept that side's part; `both`: the sides agreed; `combined`: the merge made something new of the two. */
  winner: 'left' | 'right' | 'both' | 'combined';
  why: string;
}

export interface MergeExplanation {
  type: string;
  merged: unknown;
  steps: MergeStep[];
  /** The type's merge rule in a sentence (describe().merge). */
  rule: string;
}

const NOTHING = '—';
type Parts = Map<string, string>;

const stamp = (raw: unknown): string => {
  const value = raw as { timestampMs: number; replica: string } | null;
  return value === null ? NOTHING : `${value.timestampMs}@${value.replica}`;
};
const counts = (prefix: string, raw: unknown, parts: Parts): void => {
  for (const [replica, count] of Object.entries((raw ?? {}) as Record<string, number>)) parts.set(`${prefix}${replica}`, String(count));
};

/** The payload of each type cut into named parts, each rendered as short text. */
const PARTS: Record<string, (state: unknown) => Parts> = {
  'g-counter': (state) => { const parts: Parts = new Map(); counts('', state, parts); return parts; },
  'pn-counter': (state) => {
    const parts: Parts = new Map();
    const { increments, decrements } = state as { increments: unknown; decrements: unknown };
    counts('+', increments, parts);
    counts('−', decrements, parts);
    return parts;
  },
  'max-register': (state) => new Map(state === null ? [] : [['max', String(state as number)]]),
  'lww-register': (state) => {
    const { stamp: at, value } = state as { stamp: unknown; value: unknown };
    return new Map(at === null ? [] : [['value', `${JSON.stringify(value)} (${stamp(at)})`]]);
  },
  'mv-register': (state) => new Map((state as { clock: unknown; value: unknown }[]).map((version) => [`clock ${JSON.stringify(version.clock)}`, JSON.stringify(version.value)])),
  'g-set': (state) => new Map((state as string[]).map((element) => [element, 'added'])),
  '2p-set': (state) => {
    const { added, removed } = state as { added: string[]; removed: string[] };
    return new Map(added.map((element) => [element, removed.includes(element) ? 'added, removed' : 'added']));
  },
  'lww-element-set': (state) => new Map((state as { element: string; added: unknown; removed: unknown }[])
    .map((entry) => [entry.element, `add ${stamp(entry.added)}, remove ${stamp(entry.removed)}`])),
  'pn-set': (state) => new Map((state as { element: string; increments: object; decrements: object }[])
    .map((entry) => [entry.element, `+${JSON.stringify(entry.increments)} −${JSON.stringify(entry.decrements)}`])),
  'or-set': (state) => {
    const { clock, entries } = state as { clock: Record<string, number>; entries: { element: string; tags: [string, number][] }[] };
    const parts: Parts = new Map([['seen', JSON.stringify(clock)]]);
    for (const entry of entries) parts.set(entry.element, entry.tags.map(([replica, count]) => `${replica}:${count}`).join(' '));
    return parts;
  },
  'naive-concat': (state) => new Map((state as { pieces: { id: string; text: string }[] }).pieces.map((piece, index) => [`#${index + 1}`, `${JSON.stringify(piece.text)} (${piece.id})`])),
};

/** Why the merge kept what it kept, in the type's terms. */
function why(type: string, winner: MergeStep['winner'], left: string, right: string): string {
  if (winner === 'both') return 'both sides agree';
  const only = left === NOTHING ? 'only the right side has it' : right === NOTHING ? 'only the left side has it' : null;
  switch (type) {
    case 'g-counter': case 'pn-counter': case 'max-register':
      return only ?? `max(${left}, ${right}): a slot only grows, so the larger count is the newer`;
    case 'lww-register': case 'lww-element-set':
      return only ?? 'the greater stamp (timestamp, then replica) wins; the other write is lost';
    case 'mv-register':
      return winner === 'combined' ? 'kept: no clock is above it' : only ?? 'the other clock is below it: dropped';
    case 'g-set': return 'union';
    case '2p-set': return only ?? 'union of the added and of the removed sets: a removal is forever';
    case 'pn-set': return only ?? 'per element, each replica\'s slot takes the larger count';
    case 'or-set': return only ?? 'union of what was seen; a tag stays live unless a side has seen it and removed it';
    case 'naive-concat': return 'NOT A CRDT: the right side\'s unseen pieces go after the left side\'s, so the order depends on who merges whom';
    default: return winner;
  }
}

/** `merge(left, right)` of `type`, step by step. Throws for an unknown type (a bug of the caller). */
export function explainMerge(type: string, left: unknown, right: unknown): MergeExplanation {
  const crdt: AnyCrdt | undefined = REPLICATED_TYPES.get(type);
  const partsOf = PARTS[type];
  if (crdt === undefined || partsOf === undefined) throw new Error(`no merge explanation for type ${JSON.stringify(type)}`);
  const merged = crdt.merge(left, right);
  const [a, b, m] = [partsOf(left), partsOf(right), partsOf(merged)];
  const names = [...new Set([...a.keys(), ...b.keys(), ...m.keys()])];
  // Pieces of a string keep their order; everything else reads best sorted.
  if (type !== 'naive-concat') names.sort();
  const steps = names.map((component): MergeStep => {
    const [l, r, x] = [a.get(component) ?? NOTHING, b.get(component) ?? NOTHING, m.get(component) ?? NOTHING];
    const winner: MergeStep['winner'] = l === r && l === x ? 'both' : x === l ? 'left' : x === r ? 'right' : 'combined';
    return { component, left: l, right: r, merged: x, winner, why: why(type, winner, l, r) };
  });
  return { type, merged, steps, rule: crdt.describe().merge };
}

/** Two states are the same state (canonical JSON): a merge of them changes nothing. */
export function sameState(a: unknown, b: unknown): boolean {
  return stateKey(a) === stateKey(b);
}
