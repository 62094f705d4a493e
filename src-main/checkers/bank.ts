// The bank checker: what two-phase commit promises a bank (the book §4; Gray & Lamport,
// "Consensus on Transaction Commit"), judged from a run's end state, its trace and its client
// history. A `bank` workload (src-main/workload/bank.ts) moves money between accounts held by
// different participants of the 2PC core (src-node/protocols/two-phase-commit/core.ts).
//
// What it checks:
// - Conservation: the participants' committed balances add up to accounts × initial balance,
//   and no account is negative (a participant votes no rather than overdraw). Only durable,
//   committed state counts: a prepared transfer is in nobody's balance yet.
// - Atomicity: every transaction is all or nothing across its participants. A participant's
//   `committed` / `aborted` state notes say what it applied; the coordinator's
//   `commit-decided` / `abort-decided` notes what it decided. Two participants that applied
//   different outcomes, or one that applied what the coordinator did not decide, is a violation.
// - The balances are the committed transfers: each account's final balance is its initial
//   balance plus every change its participant noted as committed (a transfer applied twice,
//   or applied without its note, shows here).
// - Clients: a transfer acknowledged as committed is committed on every participant; a
//   transfer reported aborted is applied nowhere. An `info` outcome (the client does not know)
//   is judged by what the trace says happened.
// Transactions still in doubt — a participant voted yes and never learned the outcome
// (blocked) — are reported as such, not as violations: that is 2PC's known cost.
//
// A real run's trace can miss the last events of a node killed with SIGKILL (it had not
// reported them yet); with `traceComplete: false` what only a missing note could explain is
// `unknown`, not `invalid`. The simulator's trace is complete. Pure code: no I/O.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { CheckVerdict } from '../../src-node/contract/history.ts';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import type { CompletedOp } from '../workload/client.ts';
import { transferOutcomeOf } from '../workload/bank.ts';
import { accountNames, ownerOfAccount, parseTwoPhaseCommitParams, participantsOf } from '../../src-node/protocols/two-phase-commit/core.ts';

/** Violations and in-doubt transactions a result lists at most (the counts are exact). */
export const BANK_LISTED_MAX = 20;

type Outcome = 'commit' | 'abort';

/** What the trace says of one transaction. */
export interface BankTransaction {
  tx: string;
  participants: NodeId[] | null;
  transfer: { from: string; to: string; amount: number } | null;
  decision: Outcome | null;
  /** Participants that voted yes (their vote is on disk). */
  votedYes: NodeId[];
  /** What each participant applied, with the changes it applied. */
  applied: Map<NodeId, { outcome: Outcome; changes: Record<string, number> }>;
  /** Participants that said they were blocked on it, with whom they waited on. */
  blocked: Map<NodeId, NodeId | null>;
}

const NOTES: ReadonlySet<string> = new Set(['prepare', 'commit-decided', 'abort-decided', 'voted-yes', 'committed', 'aborted', 'blocked']);

/** Reads the 2PC state notes of a trace, one event at a time (a real run's trace comes in pages). */
export class BankLedgerMonitor {
  readonly transactions = new Map<string, BankTransaction>();

  observe(event: TraceEvent): void {
    if (event.kind !== 'state') return;
    const detail = (event.detail ?? {}) as Record<string, unknown>;
    const name = detail['name'];
    if (name === 'recovered' && Array.isArray(detail['commitRecords'])) {
      // A restarted coordinator lists the commit records its log holds: each is a commit
      // decision, even when the note that announced it died with the process (a real run's SIGKILL).
      for (const tx of detail['commitRecords']) if (typeof tx === 'string') this.transaction(tx).decision = 'commit';
      return;
    }
    const tx = detail['tx'];
    if (typeof name !== 'string' || !NOTES.has(name) || typeof tx !== 'string') return;
    const record = this.transaction(tx);
    const node = event.node;
    switch (name) {
      case 'prepare':
        record.participants = Array.isArray(detail['participants']) ? (detail['participants'] as NodeId[]) : null;
        record.transfer = (detail['transfer'] as BankTransaction['transfer']) ?? null;
        return;
      case 'commit-decided': record.decision = 'commit'; return;
      case 'abort-decided': record.decision = 'abort'; return;
      case 'voted-yes': if (!record.votedYes.includes(node)) record.votedYes.push(node); return;
      case 'blocked': record.blocked.set(node, typeof detail['waitingOn'] === 'string' ? detail['waitingOn'] : null); return;
      default: record.applied.set(node, { outcome: name === 'committed' ? 'commit' : 'abort', changes: (detail['changes'] as Record<string, number>) ?? {} });
    }
  }

  private transaction(tx: string): BankTransaction {
    let record = this.transactions.get(tx);
    if (record === undefined) {
      record = { tx, participants: null, transfer: null, decision: null, votedYes: [], applied: new Map(), blocked: new Map() };
      this.transactions.set(tx, record);
    }
    return record;
  }
}

export interface BankCheckInput {
  /** Every participant of the cluster, and the committed balances it holds at the end (null: not readable, e.g. down). */
  finals: { node: NodeId; balances: Record<string, unknown> | null }[];
  accounts: readonly string[];
  initialBalance: number;
  /** The participant that holds an account. */
  ownerOf: (account: string) => NodeId;
  transactions: ReadonlyMap<string, BankTransaction>;
  /** The workload's operations (transfers and balance reads). */
  operations: readonly CompletedOp[];
  /** False for a real run whose nodes may have died before reporting their last events. */
  traceComplete: boolean;
}

export interface BankViolation {
  kind: 'conservation' | 'negative-balance' | 'atomicity' | 'not-decided' | 'balance-mismatch' | 'acknowledged-not-applied' | 'aborted-but-applied' | 'missing-account';
  message: string;
  tx?: string;
  account?: string;
}

export interface BankInDoubt {
  tx: string;
  /** Participants that voted yes and never learned the outcome. */
  waiting: NodeId[];
  /** Whom each of them said it waits on (from its `blocked` note), when it said so. */
  blockedOn: Record<NodeId, NodeId | null>;
}

export interface BankResult {
  verdict: CheckVerdict;
  summary: string;
  violations: BankViolation[];
  /** What could not be judged, and why (verdict `unknown` when not empty and nothing is violated). */
  unjudged: string[];
  inDoubt: BankInDoubt[];
  stats: { transactions: number; committed: number; aborted: number; inDoubt: number; acknowledged: number; reportedAborted: number; total: number | null; expectedTotal: number };
}

export function checkBank(input: BankCheckInput): BankResult {
  const violations: BankViolation[] = [];
  const unjudged: string[] = [];
  const expectedTotal = input.accounts.length * input.initialBalance;
  const balances = finalBalances(input, violations, unjudged);
  const total = balances === null ? null : [...balances.values()].reduce((sum, balance) => sum + balance, 0);
  if (total !== null && total !== expectedTotal) {
    violations.push({ kind: 'conservation', message: `the balances add up to ${total}, not ${input.accounts.length} × ${input.initialBalance} = ${expectedTotal}` });
  }
  for (const [account, balance] of balances ?? []) {
    if (balance < 0) violations.push({ kind: 'negative-balance', account, message: `${account} ends at ${balance}` });
  }
  const inDoubt: BankInDoubt[] = [];
  let committed = 0;
  let aborted = 0;
  for (const record of input.transactions.values()) {
    const outcome = judgeTransaction(record, input.traceComplete, violations, unjudged);
    if (outcome === 'commit') committed += 1;
    else if (outcome === 'abort') aborted += 1;
    const waiting = record.votedYes.filter((node) => !record.applied.has(node)).sort();
    if (waiting.length > 0) {
      inDoubt.push({ tx: record.tx, waiting, blockedOn: Object.fromEntries(waiting.filter((node) => record.blocked.has(node)).map((node) => [node, record.blocked.get(node)!])) });
    }
  }
  if (balances !== null) replayBalances(input, balances, violations, unjudged);
  const clients = judgeClients(input, violations, unjudged);
  const verdict: CheckVerdict = violations.length > 0 ? 'invalid' : unjudged.length > 0 ? 'unknown' : 'valid';
  const stats = { transactions: input.transactions.size, committed, aborted, inDoubt: inDoubt.length, ...clients, total, expectedTotal };
  return { verdict, summary: summarize(verdict, stats, violations, unjudged, inDoubt), violations: violations.slice(0, BANK_LISTED_MAX), unjudged, inDoubt: inDoubt.slice(0, BANK_LISTED_MAX), stats };
}

/** Each account's final balance, read from its participant; null when some participant could not be read. */
function finalBalances(input: BankCheckInput, violations: BankViolation[], unjudged: string[]): Map<string, number> | null {
  const unreadable = input.finals.filter((final) => final.balances === null).map((final) => final.node);
  if (unreadable.length > 0) {
    unjudged.push(`the balances of ${unreadable.join(', ')} could not be read (not running at the end): conservation not judged`);
    return null;
  }
  const byNode = new Map(input.finals.map((final) => [final.node, final.balances!]));
  const balances = new Map<string, number>();
  for (const account of input.accounts) {
    const owner = input.ownerOf(account);
    const value = byNode.get(owner)?.[account];
    if (typeof value !== 'number') {
      violations.push({ kind: 'missing-account', account, message: `${owner} does not hold ${account}` });
      continue;
    }
    balances.set(account, value);
  }
  return balances;
}

/**
 * One transaction's atomicity: the outcomes its participants applied agree with each other and
 * with the coordinator's decision. Returns the outcome (null: none applied yet, or split).
 */
function judgeTransaction(record: BankTransaction, traceComplete: boolean, violations: BankViolation[], unjudged: string[]): Outcome | null {
  const { tx } = record;
  const outcomes = new Set([...record.applied.values()].map((applied) => applied.outcome));
  if (outcomes.size > 1) {
    const who = (outcome: Outcome): string => [...record.applied].filter(([, applied]) => applied.outcome === outcome).map(([node]) => node).join(', ');
    violations.push({ kind: 'atomicity', tx, message: `${tx} committed on ${who('commit')} but aborted on ${who('abort')}` });
    return null;
  }
  const applied = outcomes.values().next().value as Outcome | undefined;
  if (applied === undefined) return record.decision === 'abort' ? 'abort' : null;
  if (record.decision !== null && record.decision !== applied) {
    violations.push({ kind: 'atomicity', tx, message: `the coordinator decided ${record.decision} on ${tx}, but ${[...record.applied.keys()].join(', ')} applied ${applied}` });
    return null;
  }
  if (applied === 'commit' && record.decision === null) {
    const message = `${tx} was committed on ${[...record.applied.keys()].join(', ')} with no commit decision in the coordinator's notes`;
    if (traceComplete) violations.push({ kind: 'not-decided', tx, message });
    else unjudged.push(`${message} (the coordinator may have died before reporting it)`);
  }
  return applied;
}

/** Each account's final balance is its initial balance plus the committed changes its participant noted. */
function replayBalances(input: BankCheckInput, balances: ReadonlyMap<string, number>, violations: BankViolation[], unjudged: string[]): void {
  const expected = new Map(input.accounts.map((account) => [account, input.initialBalance]));
  for (const record of input.transactions.values()) {
    for (const [node, applied] of record.applied) {
      if (applied.outcome !== 'commit') continue;
      for (const [account, amount] of Object.entries(applied.changes)) {
        if (input.ownerOf(account) !== node || !expected.has(account)) continue;
        expected.set(account, expected.get(account)! + amount);
      }
    }
  }
  for (const [account, balance] of balances) {
    const want = expected.get(account)!;
    if (balance === want) continue;
    const message = `${account} ends at ${balance}, but its committed transfers make ${want}`;
    if (input.traceComplete) violations.push({ kind: 'balance-mismatch', account, message });
    else unjudged.push(`${message} (a killed node may not have reported its last commit)`);
  }
}

/** What clients were told against what the participants applied. */
function judgeClients(input: BankCheckInput, violations: BankViolation[], unjudged: string[]): { acknowledged: number; reportedAborted: number } {
  let acknowledged = 0;
  let reportedAborted = 0;
  for (const done of input.operations) {
    if (done.op.f !== 'transfer' || done.result.type === 'info') continue;
    const outcome = transferOutcomeOf(done.result.value);
    if (outcome === null) continue; // refused before it began (a redirect, a bad request): no transaction
    const record = input.transactions.get(outcome.tx);
    const participants = outcome.participants;
    if (done.result.type === 'ok') {
      acknowledged += 1;
      const aborted = participants.filter((node) => record?.applied.get(node)?.outcome === 'abort');
      if (aborted.length > 0) violations.push({ kind: 'acknowledged-not-applied', tx: outcome.tx, message: `${done.client}'s transfer ${outcome.tx} was acknowledged as committed, but ${aborted.join(', ')} aborted it` });
      const missing = participants.filter((node) => record?.applied.get(node) === undefined && !(record?.votedYes.includes(node) ?? false));
      if (missing.length > 0) {
        const message = `${done.client}'s transfer ${outcome.tx} was acknowledged as committed, but ${missing.join(', ')} neither voted yes nor applied it`;
        if (input.traceComplete) violations.push({ kind: 'acknowledged-not-applied', tx: outcome.tx, message });
        else unjudged.push(message);
      }
    } else {
      reportedAborted += 1;
      const applied = participants.filter((node) => record?.applied.get(node)?.outcome === 'commit');
      if (applied.length > 0) violations.push({ kind: 'aborted-but-applied', tx: outcome.tx, message: `${done.client}'s transfer ${outcome.tx} was reported aborted, but ${applied.join(', ')} committed it` });
    }
  }
  return { acknowledged, reportedAborted };
}

function summarize(verdict: CheckVerdict, stats: BankResult['stats'], violations: BankViolation[], unjudged: string[], inDoubt: BankInDoubt[]): string {
  const money = stats.total === null ? 'conservation not judged' : `money ${stats.total === stats.expectedTotal ? 'conserved' : 'NOT conserved'} (${stats.total} of ${stats.expectedTotal})`;
  const counts = `${stats.transactions} transaction(s): ${stats.committed} committed, ${stats.aborted} aborted; ${stats.acknowledged} acknowledged to clients, ${stats.reportedAborted} reported aborted`;
  const doubt = inDoubt.length === 0 ? '' : `; ${inDoubt.length} in doubt (blocked, not a violation): ${inDoubt.slice(0, 5).map((entry) => `${entry.tx} on ${entry.waiting.join(', ')}`).join('; ')}`;
  if (verdict === 'invalid') return `${violations.length} violation(s): ${violations.slice(0, 3).map((violation) => violation.message).join('; ')}. ${money}; ${counts}${doubt}`;
  if (verdict === 'unknown') return `no violation found, but ${unjudged.slice(0, 2).join('; ')}. ${money}; ${counts}${doubt}`;
  return `${money}, every transaction all or nothing; ${counts}${doubt}`;
}

/** What the bank checker needs to know of a 2PC cluster: its accounts, their initial balance and who holds each. */
export interface BankSetup {
  accounts: string[];
  initialBalance: number;
  participants: NodeId[];
  ownerOf: (account: string) => NodeId;
}

/** The bank of a 2PC scenario's params (validated by the core's parser) on `nodes`. */
export function bankSetup(params: unknown, nodes: readonly NodeId[]): BankSetup {
  const parsed = parseTwoPhaseCommitParams(params);
  const participants = participantsOf(nodes, parsed.coordinator);
  return { accounts: accountNames(parsed.accounts), initialBalance: parsed.initialBalance, participants, ownerOf: (account) => ownerOfAccount(account, participants) };
}
