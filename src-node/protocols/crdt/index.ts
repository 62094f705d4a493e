// Every CRDT of the lab, by the name that scenarios and messages use. See crdt.ts for the
// interface they share and each file for what its type guarantees and what anomaly it accepts.

import type { AnyCrdt } from './crdt.ts';
import { G_COUNTER } from './g-counter.ts';
import { G_SET } from './g-set.ts';
import { LWW_ELEMENT_SET } from './lww-element-set.ts';
import { LWW_REGISTER } from './lww-register.ts';
import { MAX_REGISTER } from './max-register.ts';
import { MV_REGISTER } from './mv-register.ts';
import { NAIVE_CONCAT } from './naive-concat.ts';
import { OR_SET } from './or-set.ts';
import { PN_COUNTER } from './pn-counter.ts';
import { PN_SET } from './pn-set.ts';
import { TWO_PHASE_SET } from './two-phase-set.ts';

export type { AnyCrdt, Checked, CrdtDescription, Json, LatticeOrder, StateCrdt, UpdateContext } from './crdt.ts';
export { stateKey } from './crdt.ts';
export {
  G_COUNTER, G_SET, LWW_ELEMENT_SET, LWW_REGISTER, MAX_REGISTER, MV_REGISTER, NAIVE_CONCAT, OR_SET, PN_COUNTER, PN_SET, TWO_PHASE_SET,
};

/** In the paper's order: counters, registers, sets. */
export const CRDT_TYPES: ReadonlyMap<string, AnyCrdt> = new Map(
  [G_COUNTER, PN_COUNTER, MAX_REGISTER, LWW_REGISTER, MV_REGISTER, G_SET, TWO_PHASE_SET, LWW_ELEMENT_SET, PN_SET, OR_SET]
    .map((type) => [type.name, type]),
);

/** The CRDT named `name`; throws an Error that lists the known names. */
export function crdtByName(name: string): AnyCrdt {
  const type = CRDT_TYPES.get(name);
  if (type === undefined) throw new Error(`unknown CRDT ${JSON.stringify(name)}; known: ${[...CRDT_TYPES.keys()].join(', ')}`);
  return type;
}

/**
 * Types that are NOT CRDTs, kept on purpose so that the lab can show what goes wrong without a
 * lattice (the book's string concatenation). They share the StateCrdt interface so that the
 * gossip core replicates them the same way, but they are not in CRDT_TYPES: the lattice-law
 * tests do not hold for them, and that is their point.
 */
export const NAIVE_TYPES: ReadonlyMap<string, AnyCrdt> = new Map([NAIVE_CONCAT].map((type) => [type.name, type]));

/** What gossip can replicate: the CRDTs and the deliberately naive types. */
export const REPLICATED_TYPES: ReadonlyMap<string, AnyCrdt> = new Map([...CRDT_TYPES, ...NAIVE_TYPES]);

/** A CRDT or a naive type, by name; throws an Error that lists the known names. */
export function replicatedTypeByName(name: string): AnyCrdt {
  const type = REPLICATED_TYPES.get(name);
  if (type === undefined) throw new Error(`unknown replicated type ${JSON.stringify(name)}; known: ${[...REPLICATED_TYPES.keys()].join(', ')}`);
  return type;
}
