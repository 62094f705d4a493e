// Every CRDT of the lab, by the name that scenarios and messages use. See crdt.ts for the
// interface they share and each file for what its type guarantees and what anomaly it accepts.

import type { AnyCrdt } from './crdt.ts';
import { G_COUNTER } from './g-counter.ts';
import { G_SET } from './g-set.ts';
import { LWW_ELEMENT_SET } from './lww-element-set.ts';
import { LWW_REGISTER } from './lww-register.ts';
import { MV_REGISTER } from './mv-register.ts';
import { OR_SET } from './or-set.ts';
import { PN_COUNTER } from './pn-counter.ts';
import { PN_SET } from './pn-set.ts';
import { TWO_PHASE_SET } from './two-phase-set.ts';

export type { AnyCrdt, Checked, CrdtDescription, Json, LatticeOrder, StateCrdt, UpdateContext } from './crdt.ts';
export { stateKey } from './crdt.ts';
export {
  G_COUNTER, G_SET, LWW_ELEMENT_SET, LWW_REGISTER, MV_REGISTER, OR_SET, PN_COUNTER, PN_SET, TWO_PHASE_SET,
};

/** In the paper's order: counters, registers, sets. */
export const CRDT_TYPES: ReadonlyMap<string, AnyCrdt> = new Map(
  [G_COUNTER, PN_COUNTER, LWW_REGISTER, MV_REGISTER, G_SET, TWO_PHASE_SET, LWW_ELEMENT_SET, PN_SET, OR_SET]
    .map((type) => [type.name, type]),
);

/** The CRDT named `name`; throws an Error that lists the known names. */
export function crdtByName(name: string): AnyCrdt {
  const type = CRDT_TYPES.get(name);
  if (type === undefined) throw new Error(`unknown CRDT ${JSON.stringify(name)}; known: ${[...CRDT_TYPES.keys()].join(', ')}`);
  return type;
}
