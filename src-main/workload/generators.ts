// What the lab's clients ask for: one pure, seeded generator of client operations per kind of
// workload, used by both hosts — the simulator's clients (src-main/sim/workload.ts) and the
// real lab's workload loop (LabRun.runWorkload in src-main/lab/run.ts). Jepsen separates the
// generator (what to do next) from the client (how to do it) and the checker (what it meant);
// this is the generator. A host asks `next()` for an operation, runs it (following one
// redirect), and hands the final outcome back with `completed()`, so a generator may depend
// on what it saw: the cart client's write depends on its read.
//
// Kinds:
// - `kv`: independent puts and gets (a put's value is unique per key: `<client>-<n>`); with
//   `uniqueKeys` every write goes to a key of its own (Jepsen's "set" workload).
// - `cart`: Dynamo's shopping cart (DeCandia et al. 2007, §4.4). A client reads a cart — the
//   reply carries every sibling and a context —, merges the siblings (the union of their
//   items), adds one item of its own, and writes the merged cart back with the context. An
//   "add to cart" is never lost; deleted items may resurface (nothing here deletes).
// Every other kind (proposals for Paxos, bank transfers for 2PC, CRDT `update`s, CALM
// `input`s) lives in a module of its own and is one entry in GENERATORS.
//
// Pure: randomness comes from the host's seeded stream; no time, no I/O. A generator draws
// from its stream in a fixed order, so a seed replays its operations.

import type { ProcessId } from '../../src-node/contract/clock.ts';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import type { Random } from '../../src-node/protocols/random/prng.ts';
import { ProposeGenerator } from './propose.ts';
import { BankGenerator } from './bank.ts';
import { CrdtGenerator, type CrdtWorkloadSpec } from './crdt.ts';
import { CalmInputGenerator } from './calm.ts';

export const WORKLOAD_KINDS = ['kv', 'cart', 'propose', 'bank', 'crdt', 'input'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/**
 * Items one cart may hold. A cart is written whole with every put (Dynamo stores values, not
 * deltas): past this its JSON would approach the 64 kB a client operation may carry. Scenarios
 * are checked against it (src-main/scenario/scenario.ts).
 */
export const CART_ITEMS_MAX = 3_000;

/** What both hosts need to know of a workload to generate and pace its operations. */
export interface WorkloadSpec {
  /** Absent: `kv` (the profiles of the simulator predate kinds). */
  kind?: WorkloadKind;
  clients: number;
  /** Operations per second, over all clients. */
  ratePerSec: number;
  /** Keys of a kv workload; carts of a cart workload. */
  keys: number;
  uniqueKeys: boolean;
  /** kv: the share of puts among operations. A cart client alternates get and put. */
  writeShare: number;
  startMs: number;
  timeoutMs: number;
  /** A crdt workload's type, operations and script (src-main/workload/crdt.ts); required by that kind. */
  crdt?: CrdtWorkloadSpec;
}

/** The operation a generator asked for and how it ended (after any redirect). */
export interface OpOutcome {
  op: ClientOp;
  result: ClientResult;
}

export interface OpGenerator {
  /** The next operation this client invokes. */
  next(): ClientOp;
  /** The final outcome of the operation `next` gave last; a host calls it once per `next`. */
  completed(outcome: OpOutcome): void;
}

/** The time between two operations of one client, so that all clients together make ratePerSec. */
export function workloadIntervalMs(spec: Pick<WorkloadSpec, 'clients' | 'ratePerSec'>): number {
  return (spec.clients * 1000) / spec.ratePerSec;
}

/** When a client starts, after the workload's start: spread over one interval so clients do not move in lockstep. */
export function firstDelayMs(spec: Pick<WorkloadSpec, 'clients' | 'ratePerSec'>, random: Random): number {
  return random.next() * workloadIntervalMs(spec);
}

/** The generator of one client, drawing from `random` (a stream of its own). */
export function createGenerator(spec: WorkloadSpec, options: { client: ProcessId; random: Random }): OpGenerator {
  return GENERATORS[spec.kind ?? 'kv'](spec, options.client, options.random);
}

const GENERATORS: Record<WorkloadKind, (spec: WorkloadSpec, client: ProcessId, random: Random) => OpGenerator> = {
  kv: (spec, client, random) => new KeyValueGenerator(spec, client, random),
  cart: (spec, client, random) => new CartGenerator(spec, client, random),
  propose: (spec, client, random) => new ProposeGenerator(spec, client, random),
  // Bank transfers for 2PC (src-main/workload/bank.ts): `keys` is the number of accounts.
  bank: (spec, _client, random) => new BankGenerator(spec.keys, random),
  // CRDT updates and reads for crdt-gossip (src-main/workload/crdt.ts).
  crdt: (spec, client, random) => {
    if (spec.crdt === undefined) throw new Error('a crdt workload needs its crdt part (type, ops, script)');
    return new CrdtGenerator({ keys: spec.keys, writeShare: spec.writeShare, crdt: spec.crdt }, client, random);
  },
  // Inputs for a calm node program, then seals, then reads (src-main/workload/calm.ts).
  input: (_spec, _client, random) => new CalmInputGenerator(random),
};

/**
 * Puts and gets. The draws (one for put-or-get, one for the key unless keys are unique) are
 * the ones the lab has always made, so every existing scenario replays its operations.
 */
class KeyValueGenerator implements OpGenerator {
  private written = 0;

  constructor(private readonly spec: WorkloadSpec, private readonly client: ProcessId, private readonly random: Random) {}

  next(): ClientOp {
    const write = this.random.next() < this.spec.writeShare;
    if (write) this.written += 1;
    const key = this.spec.uniqueKeys
      ? (write ? `k-${this.client}-${this.written}` : `k-${this.client}-${Math.max(1, this.written)}`)
      : `k${this.random.int(1, this.spec.keys)}`;
    return write ? { f: 'put', key, value: `${this.client}-${this.written}` } : { f: 'get', key };
  }

  completed(): void {
    // Independent operations: nothing to learn.
  }
}

/** The name of a cart key: `cart-1`, `cart-2`, … */
export function cartKey(index: number): string {
  return `cart-${index}`;
}

/**
 * The items a read of a cart found: the union of every sibling's items (a sibling that is not
 * a list of items contributes nothing), sorted. The reply's `siblings` when it has them (a
 * Dynamo read), else its `value` (a store that keeps one value per key).
 */
export function cartItemsOf(result: Pick<ClientResult, 'value' | 'siblings'>): string[] {
  const versions = Array.isArray(result.siblings) && result.siblings.length > 0 ? result.siblings : [result.value];
  return mergeCarts(versions);
}

/** The union of the items of several cart values, sorted: the shopping cart's merge. */
export function mergeCarts(values: readonly unknown[]): string[] {
  const items = new Set<string>();
  for (const value of values) {
    if (!Array.isArray(value)) continue;
    for (const item of value) if (typeof item === 'string') items.add(item);
  }
  return [...items].sort();
}

/**
 * Read-modify-write on a cart. A read that succeeds makes the next operation the write of its
 * merged items plus one new item (`<client>-<n>`, unique in the run); a read that fails is
 * tried again; after a write, whatever its outcome, the next cycle reads a cart afresh.
 */
class CartGenerator implements OpGenerator {
  private added = 0;
  /** What the last successful read found: the next operation writes it back with an item more. */
  private read: { key: string; items: string[]; context: unknown } | null = null;

  constructor(private readonly spec: WorkloadSpec, private readonly client: ProcessId, private readonly random: Random) {}

  next(): ClientOp {
    const read = this.read;
    if (read === null) return { f: 'get', key: cartKey(this.random.int(1, this.spec.keys)) };
    this.read = null;
    this.added += 1;
    const item = `${this.client}-${this.added}`;
    const value = [...read.items, item].sort();
    return read.context === undefined ? { f: 'put', key: read.key, value } : { f: 'put', key: read.key, value, context: read.context };
  }

  completed({ op, result }: OpOutcome): void {
    if (op.f !== 'get' || op.key === undefined || result.type !== 'ok') return;
    this.read = { key: op.key, items: cartItemsOf(result), context: result.context };
  }
}
