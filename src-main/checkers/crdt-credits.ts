// The book's accounting example (§5, after Pat Helland): a balance kept "using a register with
// read and write operations" against one kept "using an integer data type with native debit
// and credit operations". The promise judged here is the account holder's: at the end, every
// replica's balance is the sum of every credit and debit the bank acknowledged.
//
// A counter (g-counter, pn-counter) keeps it by construction — "debiting or crediting can be
// applied in any order, and the end result is the same". A register (lww-register) cannot:
// each credit is a read followed by a write of balance + amount, and of two writes that did not
// see each other one overwrites the other ("100 + write(110) + write(130) = 130 but 100 +
// write(130) + write(110) = 110"). The credits workload (src-main/workload/crdt.ts) makes
// every register write say which write it read (`after`), so the writes that count form a
// chain back from the final value; every acknowledged write off that chain is a lost credit,
// and the chain write that read the same balance is the one that buried it.
//
// Pure code: no I/O.

import type { CheckVerdict } from '../../src-node/contract/history.ts';
import type { CompletedOp } from '../workload/client.ts';
import { balanceRecordOf, type BalanceRecord } from '../workload/crdt.ts';

/** One replica's final value of one balance key. */
export interface FinalBalance {
  key: string;
  replica: string;
  present: boolean;
  value: unknown;
}

export interface LostCredit {
  key: string;
  /** The signed amount (a debit is negative). */
  credit: number;
  client: string;
  opId: string;
  node: string;
  acknowledgedAtMs: number;
  /** The register write that read the same balance and won (null on a counter, which has no writes to name). */
  buriedBy: { by: string; client: string | null; opId: string | null; balance: number } | null;
  /** On which replicas the credit is missing. */
  replicas: string[];
}

export interface CreditsCheck {
  verdict: CheckVerdict;
  /** Per key: the sum of the acknowledged credits and debits, and each replica's balance. */
  balances: { key: string; expected: number; byReplica: Record<string, number | null> }[];
  lost: LostCredit[];
  /** Counters only: the amount missing on a replica (a counter's credits have no names). */
  shortfalls: { key: string; replica: string; expected: number; actual: number | null }[];
  summary: string;
}

/** An acknowledged credit or debit, as the workload issued it. */
interface Credit {
  key: string;
  amount: number;
  op: CompletedOp;
  /** Register writes: the balance record written. */
  record: BalanceRecord | null;
}

/**
 * The finals to judge: every balance key the operations touched, read from each replica's data
 * (its status, key → value), for the replicas that run at the end.
 */
export function finalBalances(operations: readonly CompletedOp[], replicas: readonly { id: string; data: Readonly<Record<string, unknown>> }[]): FinalBalance[] {
  const keys = [...new Set(operations.flatMap((op) => {
    const credit = creditOf(op);
    return Array.isArray(credit) ? credit.map((item) => item.key) : [credit.key];
  }))].sort();
  return keys.flatMap((key) => replicas.map((replica) => ({ key, replica: replica.id, present: Object.hasOwn(replica.data, key), value: replica.data[key] })));
}

export function checkCredits(operations: readonly CompletedOp[], finals: readonly FinalBalance[]): CreditsCheck {
  const credits = operations.flatMap((op) => creditOf(op) ?? []);
  const keys = [...new Set([...credits.map((credit) => credit.key), ...finals.map((final) => final.key)])].sort();
  const balances: CreditsCheck['balances'] = [];
  const lost: LostCredit[] = [];
  const shortfalls: CreditsCheck['shortfalls'] = [];
  for (const key of keys) {
    const mine = credits.filter((credit) => credit.key === key);
    const acknowledged = mine.filter((credit) => credit.op.result.type === 'ok');
    const expected = acknowledged.reduce((sum, credit) => sum + credit.amount, 0);
    const byReplica: Record<string, number | null> = {};
    for (const final of finals.filter((candidate) => candidate.key === key)) {
      const actual = balanceOf(final);
      byReplica[final.replica] = actual;
      const registerKept = mine.some((credit) => credit.record !== null) || balanceRecordOf(final.value) !== null;
      if (registerKept) lost.push(...lostOnChain(key, mine, final));
      else if (actual !== expected && !explainedByUnknown(actual, expected, mine)) shortfalls.push({ key, replica: final.replica, expected, actual });
    }
    balances.push({ key, expected, byReplica });
  }
  const merged = mergeByOp(lost);
  const verdict: CheckVerdict = finals.length === 0 ? 'unknown' : merged.length > 0 || shortfalls.length > 0 ? 'invalid' : 'valid';
  return { verdict, balances, lost: merged, shortfalls, summary: summarize(balances, merged, shortfalls) };
}

function creditOf(op: CompletedOp): Credit | Credit[] {
  const key = op.op.key;
  const update = op.op.value as { op?: unknown; amount?: unknown; value?: unknown } | null | undefined;
  if (op.op.f !== 'update' || typeof key !== 'string' || typeof update !== 'object' || update === null) return [];
  if (update.op === 'increment' || update.op === 'decrement') {
    const size = typeof update.amount === 'number' ? update.amount : 1;
    return { key, amount: update.op === 'increment' ? size : -size, op, record: null };
  }
  const record = update.op === 'assign' ? balanceRecordOf(update.value) : null;
  return record === null ? [] : { key, amount: record.credit, op, record };
}

/** A balance as a number: a counter's value, a register's record's balance, 0 when never written. */
function balanceOf(final: FinalBalance): number | null {
  if (!final.present || final.value === null) return 0;
  if (typeof final.value === 'number') return final.value;
  return balanceRecordOf(final.value)?.balance ?? null;
}

/**
 * A counter's balance may differ from the acknowledged sum by operations whose outcome the
 * client never learned (`info`): each may or may not have happened.
 */
function explainedByUnknown(actual: number | null, expected: number, credits: readonly Credit[]): boolean {
  if (actual === null) return false;
  const unknown = credits.filter((credit) => credit.op.result.type === 'info').map((credit) => credit.amount);
  const low = expected + unknown.filter((amount) => amount < 0).reduce((sum, amount) => sum + amount, 0);
  const high = expected + unknown.filter((amount) => amount > 0).reduce((sum, amount) => sum + amount, 0);
  return unknown.length > 0 && actual >= low && actual <= high;
}

/** Register writes off the chain that leads back from this replica's final value. */
function lostOnChain(key: string, credits: readonly Credit[], final: FinalBalance): LostCredit[] {
  const writes = new Map(credits.filter((credit) => credit.record !== null).map((credit) => [credit.record!.by, credit]));
  const chain: Credit[] = [];
  const seen = new Set<string>();
  for (let at = balanceRecordOf(final.value)?.by ?? null; at !== null && !seen.has(at);) {
    seen.add(at);
    const write = writes.get(at);
    if (write === undefined) break;
    chain.push(write);
    at = write.record!.after;
  }
  const lost: LostCredit[] = [];
  for (const credit of credits) {
    if (credit.op.result.type !== 'ok' || credit.record === null || seen.has(credit.record.by)) continue;
    const winner = chain.find((candidate) => candidate.record!.after === credit.record!.after) ?? null;
    lost.push({
      key, credit: credit.amount, client: credit.op.client, opId: credit.op.opId, node: credit.op.node, acknowledgedAtMs: Math.round(credit.op.completedAtMs),
      buriedBy: winner === null ? null : { by: winner.record!.by, client: winner.op.client, opId: winner.op.opId, balance: winner.record!.balance },
      replicas: [final.replica],
    });
  }
  return lost;
}

/** One entry per lost credit, naming every replica it is missing on. */
function mergeByOp(lost: readonly LostCredit[]): LostCredit[] {
  const byOp = new Map<string, LostCredit>();
  for (const item of lost) {
    const known = byOp.get(`${item.key}|${item.opId}`);
    if (known === undefined) byOp.set(`${item.key}|${item.opId}`, { ...item, replicas: [...item.replicas] });
    else known.replicas.push(...item.replicas);
  }
  return [...byOp.values()].sort((a, b) => a.acknowledgedAtMs - b.acknowledgedAtMs);
}

function summarize(balances: CreditsCheck['balances'], lost: readonly LostCredit[], shortfalls: CreditsCheck['shortfalls']): string {
  if (balances.length === 0) return 'no balance to judge';
  const parts: string[] = [];
  for (const item of lost.slice(0, 3)) {
    const what = item.credit >= 0 ? `credit of ${item.credit}` : `debit of ${-item.credit}`;
    const buried = item.buriedBy === null ? 'overwritten' : `overwritten by ${item.buriedBy.client ?? '?'}'s write ${item.buriedBy.opId ?? item.buriedBy.by} (balance ${item.buriedBy.balance}), which had not seen it`;
    parts.push(`lost: ${item.client}'s ${what} on ${item.key} (${item.opId}, acknowledged by ${item.node} at ${item.acknowledgedAtMs} ms), ${buried}`);
  }
  if (lost.length > 3) parts.push(`and ${lost.length - 3} more lost credit(s)`);
  for (const item of shortfalls.slice(0, 3)) parts.push(`${item.replica} holds ${item.key} = ${String(item.actual)}, the acknowledged credits and debits sum to ${item.expected}`);
  if (parts.length > 0) return parts.join('; ');
  return balances.map((balance) => `${balance.key} = ${balance.expected} on ${Object.keys(balance.byReplica).length} replica(s): every acknowledged credit and debit counted`).join('; ');
}
