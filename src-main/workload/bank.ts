// The `bank` workload: clients of a bank whose accounts are spread over the participants of
// two-phase commit (src-node/protocols/two-phase-commit/core.ts). A client loops: it reads
// the balance of a random account (the read goes to the participant that holds it), then
// transfers a random amount from it to another account — up to half again what it read, so
// about a third of the transfers overdraw and the payer's participant votes no. Concurrent
// transfers that touch a locked account are refused too (2PC holds its locks until the
// outcome). Transfers are what the bank checker (src-main/checkers/bank.ts) judges: money is
// conserved, every transaction is all or nothing.
//
// Placement: the client does not know which participant holds which account, so it learns
// it from the replies — a transfer's reply names its participants, and a one-participant
// transfer puts both of its accounts on that participant. It then prefers payees that are not
// known to share the payer's participant, so most transactions span two participants.
//
// Pure: randomness from the host's seeded stream, drawn in a fixed order; no time, no I/O.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { ClientOp } from '../../src-node/contract/envelope.ts';
import type { Random } from '../../src-node/protocols/random/prng.ts';
import { parseTwoPhaseCommitParams } from '../../src-node/protocols/two-phase-commit/core.ts';
import type { OpGenerator, OpOutcome } from './generators.ts';

/** A transfer draws its amount in [1, ⌈balance × OVERDRAW_FACTOR⌉]: about 1 − 1 / factor of them overdraw. */
export const OVERDRAW_FACTOR = 1.5;
/** The largest amount drawn for an account whose balance the client could not read yet. */
export const UNREAD_BALANCE_AMOUNT_MAX = 100;

/** The accounts of a bank workload of `count` accounts: a1 … a<count>, as the 2PC core names them. */
export function bankAccounts(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `a${index + 1}`);
}

/** What a transfer's reply carries (TransferOutcome of the 2PC core), when it is one. */
export function transferOutcomeOf(value: unknown): { tx: string; participants: NodeId[] } | null {
  if (typeof value !== 'object' || value === null) return null;
  const { tx, participants } = value as { tx?: unknown; participants?: unknown };
  if (typeof tx !== 'string' || !Array.isArray(participants) || !participants.every((node) => typeof node === 'string')) return null;
  return { tx, participants: participants as NodeId[] };
}

export class BankGenerator implements OpGenerator {
  private readonly accounts: string[];
  /** The account whose balance was asked last: the next operation transfers from it. */
  private payer: string | null = null;
  /** The latest balance read of each account. */
  private readonly balances = new Map<string, number>();
  /** Which participant holds an account, as learned from transfer replies. */
  private readonly holders = new Map<string, NodeId>();

  constructor(accounts: number, private readonly random: Random) {
    if (!Number.isInteger(accounts) || accounts < 2) throw new Error(`a bank workload needs at least 2 accounts, got ${accounts}`);
    this.accounts = bankAccounts(accounts);
  }

  next(): ClientOp {
    const payer = this.payer;
    if (payer === null) {
      const from = this.accounts[this.random.int(0, this.accounts.length - 1)]!;
      this.payer = from;
      return { f: 'balance', key: from };
    }
    this.payer = null;
    const to = this.payee(payer);
    const read = this.balances.get(payer);
    const most = read === undefined ? UNREAD_BALANCE_AMOUNT_MAX : Math.max(1, Math.ceil(read * OVERDRAW_FACTOR));
    return { f: 'transfer', value: { from: payer, to, amount: this.random.int(1, most) } };
  }

  completed({ op, result }: OpOutcome): void {
    if (op.f === 'balance') {
      if (result.type === 'ok' && typeof result.value === 'number' && op.key !== undefined) this.balances.set(op.key, result.value);
      return;
    }
    if (op.f !== 'transfer') return;
    const outcome = transferOutcomeOf(result.value);
    const { from, to } = (op.value ?? {}) as { from?: string; to?: string };
    if (outcome !== null && from !== undefined && to !== undefined) this.learn(from, to, outcome.participants);
  }

  /** A payee other than the payer, not known to be held by the payer's participant when there is such an account. */
  private payee(payer: string): string {
    const others = this.accounts.filter((account) => account !== payer);
    const home = this.holders.get(payer);
    const elsewhere = home === undefined ? others : others.filter((account) => this.holders.get(account) !== home);
    const pool = elsewhere.length > 0 ? elsewhere : others;
    return pool[this.random.int(0, pool.length - 1)]!;
  }

  private learn(from: string, to: string, participants: readonly NodeId[]): void {
    if (participants.length === 1) {
      this.holders.set(from, participants[0]!);
      this.holders.set(to, participants[0]!);
      return;
    }
    if (participants.length !== 2) return;
    const [first, second] = participants as [NodeId, NodeId];
    const other = (node: NodeId): NodeId => (node === first ? second : first);
    const fromHolder = this.holders.get(from);
    const toHolder = this.holders.get(to);
    if (fromHolder !== undefined && toHolder === undefined) this.holders.set(to, other(fromHolder));
    if (toHolder !== undefined && fromHolder === undefined) this.holders.set(from, other(toHolder));
  }

  /** What this client has learned of the placement (for tests). */
  knownHolders(): ReadonlyMap<string, NodeId> {
    return this.holders;
  }
}

/**
 * What is wrong with a scenario's bank workload or bank check, or null: a bank workload runs
 * on 2PC with one key per account (`workload.keys` = the protocol's `accounts`), and a bank
 * check needs a bank workload. Bad protocol params are left to the protocol's own parser.
 */
export function bankWorkloadProblem(scenario: {
  protocol: { name: string; params: Record<string, unknown> };
  workload: { kind: string; keys: number } | null;
  checks: readonly { kind: string }[];
}): string | null {
  const bankCheck = scenario.checks.findIndex((check) => check.kind === 'bank');
  const workload = scenario.workload;
  if (workload?.kind !== 'bank') return bankCheck >= 0 ? `checks.${bankCheck}: a bank check needs a bank workload (workload.kind: "bank")` : null;
  // 3pc takes the same params as 2pc (src-node/protocols/three-phase-commit/core.ts), so one parser reads both.
  if (scenario.protocol.name !== '2pc' && scenario.protocol.name !== '3pc') return `workload.kind: a bank workload moves money between the accounts of 2pc, not of ${scenario.protocol.name} (or of 3pc, which has the same)`;
  let accounts: number;
  try {
    accounts = parseTwoPhaseCommitParams(scenario.protocol.params).accounts;
  } catch {
    return null;
  }
  if (workload.keys !== accounts) return `workload.keys: a bank workload has one key per account: set it to the protocol's accounts (${accounts}), not ${workload.keys}`;
  if (accounts < 2) return 'protocol.params.accounts: a bank workload needs at least 2 accounts to transfer between';
  return null;
}
