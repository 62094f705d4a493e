// The `crdt` workload: clients of a crdt-gossip cluster (src-node/protocols/crdt-gossip/core.ts)
// that issue the chosen type's updates — increments and decrements, adds and removes of
// elements from a small universe (so that operations collide), register writes, appends — and
// reads. Two ways to say what they do:
//
// - drawn (`ops: 'updates'` or `ops: 'credits'`), `writeShare` of the operations being updates,
//   at most `updatesPerClient` each (after that a client only reads, so a run has a last update
//   and a time to converge after it);
// - scripted (`script`): each named client plays its list of steps, one per pacing interval,
//   then only reads. The book's contrasts are scripts: the same schedule on different types.
//
// `credits` is Pat Helland's accounting example in the book (§5): a credit or a debit of a
// balance. On a counter it is the counter's own operation (increment, decrement); on a
// register it is read-modify-write — read the balance, write balance + amount — which is how a
// register with only read and write must do it, and how it loses a credit when two such writes
// do not see each other. The written value says which write it was and which it read
// (`{ balance, credit, by, after }`), so the credits checker (src-main/checkers/crdt-credits.ts)
// can name the credit that was lost and the write that buried it.
//
// Pure: randomness comes from the host's seeded stream; no time, no I/O.

import { z } from 'zod';
import type { ProcessId } from '../../src-node/contract/clock.ts';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import type { Random } from '../../src-node/protocols/random/prng.ts';
import { REPLICATED_TYPES } from '../../src-node/protocols/crdt/index.ts';

/** Steps one client's script may hold. */
export const CRDT_SCRIPT_STEPS_MAX = 1_000;
/** Elements of the universe a set workload draws from: `e1` … `eN`. */
export const CRDT_ELEMENTS_MAX = 26;
/** The largest single credit or debit a script may name. */
export const CRDT_CREDIT_MAX = 1_000_000;

/** The types a credits workload can keep a balance in, and how. */
export const CREDIT_TYPES: Readonly<Record<string, 'counter' | 'register'>> = Object.freeze({
  'g-counter': 'counter', 'pn-counter': 'counter', 'lww-register': 'register',
});

const amount = z.number().int().min(1).max(CRDT_CREDIT_MAX);

/** One step of a script: a read, one of the type's updates as is, or a credit (debit) of a balance. */
const scriptStep = z.union([
  z.literal('read'),
  z.strictObject({ update: z.unknown(), key: z.string().min(1).max(256).optional() }),
  z.strictObject({ credit: amount, key: z.string().min(1).max(256).optional() }),
  z.strictObject({ debit: amount, key: z.string().min(1).max(256).optional() }),
]);

export type CrdtScriptStep = z.infer<typeof scriptStep>;

/**
 * The `crdt` part of a scenario's workload (src-main/scenario/scenario.ts). `type` is filled
 * from `protocol.params.type` when absent.
 */
export const crdtWorkloadSchema = z.strictObject({
  type: z.string().min(1).optional(),
  ops: z.enum(['updates', 'credits']).default('updates'),
  elements: z.number().int().min(1).max(CRDT_ELEMENTS_MAX).default(3),
  updatesPerClient: z.number().int().min(0).max(1_000_000).nullable().default(null),
  /** Per client id (`c1`, `c2`, …): its steps, in order. Clients without a script only read. */
  script: z.record(z.string().regex(/^c[1-9][0-9]?$/, 'a client id is c1, c2, …'), z.array(scriptStep).max(CRDT_SCRIPT_STEPS_MAX)).nullable().default(null),
});

/** As a scenario holds it; `type` is set once parseScenario has completed it (completeCrdtWorkload). */
export type CrdtWorkloadSpec = z.infer<typeof crdtWorkloadSchema>;

/** What a crdt workload needs of the rest of its scenario. */
interface ScenarioParts {
  protocol: { name: string; params: Record<string, unknown> };
  workload: { kind: string; crdt?: CrdtWorkloadSpec | undefined } | null;
}

/**
 * Checks a scenario's crdt workload against its protocol and fills in `crdt.type`; returns why
 * it cannot run, or null. A `crdt` part needs the `crdt` kind, which needs crdt-gossip.
 */
export function completeCrdtWorkload(scenario: ScenarioParts): string | null {
  const workload = scenario.workload;
  if (workload === null) return null;
  if (workload.kind !== 'crdt') return workload.crdt === undefined ? null : 'workload.crdt: only a crdt workload (workload.kind: "crdt") has a crdt part';
  if (scenario.protocol.name !== 'crdt-gossip') return `workload.kind: a crdt workload needs the crdt-gossip protocol, not ${scenario.protocol.name}`;
  const protocolType = typeof scenario.protocol.params['type'] === 'string' ? scenario.protocol.params['type'] : 'or-set';
  const crdt = workload.crdt ?? crdtWorkloadSchema.parse({});
  const type = crdt.type ?? protocolType;
  if (type !== protocolType) return `workload.crdt.type: ${type} is not the protocol's type (${protocolType}); leave it out`;
  if (!REPLICATED_TYPES.has(type)) return `protocol.params.type: unknown type ${JSON.stringify(type)}`;
  const credits = crdt.ops === 'credits' || Object.values(crdt.script ?? {}).some((steps) => steps.some((step) => typeof step === 'object' && !('update' in step)));
  if (credits && CREDIT_TYPES[type] === undefined) return `workload.crdt: credits and debits need a balance type (${Object.keys(CREDIT_TYPES).join(', ')}), not ${type}`;
  if (credits && type === 'g-counter' && hasDebit(crdt)) return 'workload.crdt: a g-counter only grows: a debit needs a pn-counter';
  workload.crdt = { ...crdt, type };
  return null;
}

function hasDebit(crdt: CrdtWorkloadSpec): boolean {
  return Object.values(crdt.script ?? {}).some((steps) => steps.some((step) => typeof step === 'object' && 'debit' in step));
}

/** The value a register-kept balance holds: which write made it and which one it read. */
export interface BalanceRecord {
  balance: number;
  /** The signed amount this write added. */
  credit: number;
  /** The write's own name, `<client>-<n>`. */
  by: string;
  /** The `by` of the balance it read; null: it read an unwritten register (balance 0). */
  after: string | null;
}

/** A register's value read as a balance record; an unwritten register (null) is balance 0. */
export function balanceRecordOf(value: unknown): BalanceRecord | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  if (typeof record['balance'] !== 'number' || typeof record['credit'] !== 'number' || typeof record['by'] !== 'string') return null;
  const after = record['after'];
  if (after !== null && typeof after !== 'string') return null;
  return { balance: record['balance'], credit: record['credit'], by: record['by'], after };
}

/** The default key of a type's workload: what it holds, so that a trace reads well. */
export function crdtKeyName(type: string, ops: 'updates' | 'credits', index: number): string {
  const base = ops === 'credits' ? 'balance'
    : type.endsWith('counter') ? 'counter' : type.endsWith('register') ? 'register' : type === 'naive-concat' ? 'text' : 'set';
  return index <= 1 ? base : `${base}-${index}`;
}

/** A step to run: an operation for the node, or a credit waiting for its read. */
type Planned = { kind: 'op'; op: ClientOp } | { kind: 'credit'; key: string; amount: number };

/**
 * One client's operations. Credits on a register take two operations (read, then write the
 * new balance); on a counter they also read first, so that one script makes the same
 * schedule of operations on either type.
 */
export class CrdtGenerator {
  private readonly type: string;
  private updates = 0;
  private written = 0;
  private step = 0;
  /** A credit whose read is under way: the next operation writes it. */
  private pendingCredit: { key: string; amount: number } | null = null;
  private readBalance: { key: string; amount: number; read: BalanceRecord | null } | null = null;
  /** A credit whose read failed: it is read again at the next step, not dropped. */
  private retry: { key: string; amount: number } | null = null;

  constructor(
    private readonly spec: { keys: number; writeShare: number; crdt: CrdtWorkloadSpec },
    private readonly client: ProcessId,
    private readonly random: Random,
  ) {
    if (spec.crdt.type === undefined) throw new Error('a crdt workload without a type (parseScenario fills it from protocol.params.type)');
    this.type = spec.crdt.type;
  }

  next(): ClientOp {
    const read = this.readBalance;
    if (read !== null) {
      this.readBalance = null;
      return this.creditOp(read.key, read.amount, read.read);
    }
    const planned = this.plan();
    if (planned.kind === 'op') return planned.op;
    this.pendingCredit = { key: planned.key, amount: planned.amount };
    return { f: 'read', key: planned.key };
  }

  completed({ op, result }: { op: ClientOp; result: ClientResult }): void {
    const credit = this.pendingCredit;
    if (credit === null || op.f !== 'read' || op.key !== credit.key) return;
    this.pendingCredit = null;
    if (result.type !== 'ok') {
      this.retry = credit;
      return;
    }
    this.readBalance = { ...credit, read: balanceRecordOf(result.value) };
  }

  private plan(): Planned {
    const retry = this.retry;
    if (retry !== null) {
      this.retry = null;
      return { kind: 'credit', ...retry };
    }
    const { crdt } = this.spec;
    if (crdt.script !== null) return this.scripted(crdt.script[this.client] ?? []);
    const key = crdtKeyName(this.type, crdt.ops, this.random.int(1, this.spec.keys));
    const update = this.random.next() < this.spec.writeShare;
    if (!update || (crdt.updatesPerClient !== null && this.updates >= crdt.updatesPerClient)) return { kind: 'op', op: { f: 'read', key } };
    this.updates += 1;
    if (crdt.ops === 'credits') {
      const debit = this.type !== 'g-counter' && this.random.chance(30);
      return { kind: 'credit', key, amount: (debit ? -1 : 1) * this.random.int(1, 20) };
    }
    return { kind: 'op', op: { f: 'update', key, value: this.drawUpdate() } };
  }

  private scripted(steps: readonly CrdtScriptStep[]): Planned {
    const step = steps[this.step];
    if (step !== undefined) this.step += 1;
    if (step === undefined || step === 'read') return { kind: 'op', op: { f: 'read', key: this.scriptKey(steps) } };
    if ('update' in step) return { kind: 'op', op: { f: 'update', key: step.key ?? this.scriptKey(steps), value: step.update } };
    return { kind: 'credit', key: step.key ?? this.scriptKey(steps), amount: 'credit' in step ? step.credit : -step.debit };
  }

  /** The key a script's steps use unless they name one: its balance for a script of credits, else the type's first key. */
  private scriptKey(steps: readonly CrdtScriptStep[]): string {
    const credits = steps.some((step) => step !== 'read' && !('update' in step));
    return crdtKeyName(this.type, credits ? 'credits' : 'updates', 1);
  }

  /** A counter takes the amount as its update; a register writes the balance it read plus the amount. */
  private creditOp(key: string, signed: number, read: BalanceRecord | null): ClientOp {
    if (CREDIT_TYPES[this.type] === 'counter') {
      return { f: 'update', key, value: { op: signed >= 0 ? 'increment' : 'decrement', amount: Math.abs(signed) } };
    }
    this.written += 1;
    const record: BalanceRecord = { balance: (read?.balance ?? 0) + signed, credit: signed, by: `${this.client}-${this.written}`, after: read?.by ?? null };
    return { f: 'update', key, value: { op: 'assign', value: { ...record } } };
  }

  /** One of the type's own updates, from small domains so that operations collide. */
  private drawUpdate(): unknown {
    const { type } = this;
    const { elements } = this.spec.crdt;
    const random = this.random;
    this.written += 1;
    switch (type) {
      case 'g-counter': return { op: 'increment', amount: random.int(1, 3) };
      case 'pn-counter': return { op: random.chance(50) ? 'increment' : 'decrement', amount: random.int(1, 3) };
      case 'max-register': return { op: 'max', value: random.int(0, 99) };
      case 'lww-register': case 'mv-register': return { op: 'assign', value: `${this.client}-${this.written}` };
      case 'naive-concat': return { op: 'append', text: `${this.client}.${this.written} ` };
      case 'g-set': return { op: 'add', element: `e${random.int(1, elements)}` };
      default: return { op: random.chance(60) ? 'add' : 'remove', element: `e${random.int(1, elements)}` };
    }
  }
}
