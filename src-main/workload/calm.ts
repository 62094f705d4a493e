// The `input` workload: clients of a calm cluster (src-node/protocols/calm/core.ts). A client
// first asks its node what the program takes (`describe`: the input collections and, for a
// shipped example, the shapes it declares in examples.ts — small domains, so that clients
// collide: one adds milk while another removes it). Then it gives `inputsPerClient` input
// tuples drawn from those shapes, seals each of its node's input collections (`seal`: "this
// node gets no more of it" — what a coordinated program waits for), and from then on reads the
// program's tables and scratch collections in turn, so the history shows what each node said.
//
// One client per node: a seal closes the node's input, so a second client of the same node
// would see its later inputs refused (scenarios give `clients` = nodes). `keys`, `writeShare`
// and `uniqueKeys` do not apply. A failed or unknown describe or seal is asked again.
//
// Pure: randomness comes from the host's seeded stream; no time, no I/O.

import type { ClientOp } from '../../src-node/contract/envelope.ts';
import type { Random } from '../../src-node/protocols/random/prng.ts';
import type { CalmDescription } from '../../src-node/protocols/calm/core.ts';
import type { InputShape } from '../../src-node/protocols/calm/examples.ts';
import type { OpGenerator, OpOutcome } from './generators.ts';

/** Inputs one client gives, at most, whatever a node's description asks. */
export const CALM_INPUTS_PER_CLIENT_MAX = 10_000;

/** A node's answer to `describe`, checked: null when it is not one. */
export function parseDescription(value: unknown): CalmDescription | null {
  const candidate = (value ?? {}) as Partial<CalmDescription>;
  const shapeOk = (shape: InputShape): boolean => typeof shape?.collection === 'string' && typeof shape.weight === 'number' && shape.weight > 0
    && Array.isArray(shape.values) && shape.values.every((column) => Array.isArray(column) && column.length > 0 && column.every((item) => typeof item === 'string' || typeof item === 'number'));
  if (!Array.isArray(candidate.inputs) || !candidate.inputs.every(shapeOk)) return null;
  if (!Number.isInteger(candidate.inputsPerClient) || candidate.inputsPerClient! < 0 || candidate.inputsPerClient! > CALM_INPUTS_PER_CLIENT_MAX) return null;
  if (!Array.isArray(candidate.readable) || !candidate.readable.every((name) => typeof name === 'string')) return null;
  return {
    example: typeof candidate.example === 'string' ? candidate.example : null,
    coordinate: candidate.coordinate === true,
    inputs: candidate.inputs, inputsPerClient: candidate.inputsPerClient!, readable: candidate.readable,
  };
}

/** One input tuple drawn from the shapes: a collection by weight, then each column's value. */
export function drawInput(shapes: readonly InputShape[], random: Random): { collection: string; tuple: (string | number)[] } {
  const total = shapes.reduce((sum, shape) => sum + shape.weight, 0);
  let pick = random.next() * total;
  let chosen = shapes[shapes.length - 1]!;
  for (const shape of shapes) {
    if (pick < shape.weight) {
      chosen = shape;
      break;
    }
    pick -= shape.weight;
  }
  return { collection: chosen.collection, tuple: chosen.values.map((column) => column[random.int(0, column.length - 1)]!) };
}

export class CalmInputGenerator implements OpGenerator {
  private description: CalmDescription | null = null;
  private given = 0;
  /** Input collections sealed so far (in the order the description lists them). */
  private sealed = 0;
  private reads = 0;

  constructor(private readonly random: Random) {}

  next(): ClientOp {
    const description = this.description;
    if (description === null) return { f: 'describe' };
    if (this.given < description.inputsPerClient && description.inputs.length > 0) {
      this.given += 1;
      const { collection, tuple } = drawInput(description.inputs, this.random);
      return { f: 'input', key: collection, value: tuple };
    }
    const collections = [...new Set(description.inputs.map((shape) => shape.collection))];
    if (this.sealed < collections.length) return { f: 'seal', key: collections[this.sealed]! };
    if (description.readable.length === 0) return { f: 'describe' };
    const key = description.readable[this.reads % description.readable.length]!;
    this.reads += 1;
    return { f: 'read', key };
  }

  completed({ op, result }: OpOutcome): void {
    if (op.f === 'describe' && result.type === 'ok') this.description = parseDescription(result.value);
    // A seal that failed or whose outcome is unknown is sent again: sealing is idempotent.
    if (op.f === 'seal' && result.type === 'ok') this.sealed += 1;
  }
}
