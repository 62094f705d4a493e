// What an atomic-commit transaction does to a participant's data, in the two kinds of data of
// the lab's commit protocols, 2PC (core.ts) and 3PC (../three-phase-commit/core.ts) — param
// `data`: bank balances on the participants that hold the accounts of a transfer, or a
// key-value map copied on every participant (commit as replication: a put is one transaction
// on all of them). Which client operation starts which transaction, what each participant's
// share is, when a participant must vote no, and what applying a commit writes — the parts of
// a commit protocol that do not depend on how many phases it has. Pure: the owner persists what
// `apply`, `seed` and `write` return. It imports nothing from either core, so both can own it.

import type { NodeId } from '../../contract/clock.ts';
import type { ClientOp, ClientResult } from '../../contract/envelope.ts';
import { hashString } from '../hash/hash-string.ts';

/** What a transaction changes: bank balances on the participants that hold them, or a replicated key-value map. */
export type TwoPhaseCommitData = 'bank' | 'kv';

/** Limits on the data and on the client requests that change it (the params' own limits: TWO_PHASE_COMMIT_LIMITS in core.ts, which includes these). */
export const TRANSACTION_DATA_LIMITS = Object.freeze({
  balanceMax: 1_000_000_000, openTransactionsMax: 10_000,
  /** kv: keys one map may hold, characters of a key, and characters of a value as JSON. */
  keysMax: 10_000, keyCharsMax: 256, valueCharsMax: 4_096,
});

/** The participant that holds `account`, among `participants` (sorted): every node computes the same. */
export function ownerOfAccount(account: string, participants: readonly NodeId[]): NodeId {
  return participants[hashString(`account:${account}`) % participants.length]!;
}

export function accountNames(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `a${index + 1}`);
}

/**
 * One participant's share of a transaction — bank: amounts added to its accounts (negative:
 * debited), integers; kv: values written to its keys. The protocols themselves only lock the names.
 */
export type Changes = Record<string, unknown>;

export interface Transfer { from: string; to: string; amount: number }

/** A kv put: one transaction on every participant. */
export interface KeyValueWrite { key: string; value: unknown }

/** What a client operation asks of the coordinator: an answer now, or a transaction to run. */
export type ClientPlan =
  | { kind: 'reply'; result: ClientResult }
  | { kind: 'transaction'; changes: Record<NodeId, Changes>; transfer: Transfer | null; write: KeyValueWrite | null };

/** A stable-storage write the owner must persist (`undefined` deletes). */
export interface StableWrite { key: string; value: unknown }

export const DATA_KEY = { balance: (account: string): string => `balance:${account}`, value: (key: string): string => `value:${key}` } as const;

export class TransactionData {
  readonly balances = new Map<string, number>();
  /** kv: a participant's copy of the map; the coordinator's committed map. */
  readonly values = new Map<string, unknown>();
  /** Names locked by a transaction this participant voted yes on: name → tx. */
  readonly locks = new Map<string, string>();

  constructor(private readonly setup: { protocol: string; self: NodeId; coordinator: NodeId; data: TwoPhaseCommitData; accounts: number; initialBalance: number; participants: readonly NodeId[] }) {}

  get keyValue(): boolean {
    return this.setup.data === 'kv';
  }

  /** Restores a balance or a value from stable storage; false for a key that is not data. */
  restore(name: string, value: unknown): boolean {
    if (name.startsWith('balance:')) this.balances.set(name.slice('balance:'.length), value as number);
    else if (name.startsWith('value:')) this.values.set(name.slice('value:'.length), value);
    else return false;
    return true;
  }

  /** bank: the initial balances of the accounts this participant holds. */
  seed(): StableWrite[] {
    const writes: StableWrite[] = [];
    for (const account of accountNames(this.setup.accounts)) {
      if (ownerOfAccount(account, this.setup.participants) !== this.setup.self) continue;
      this.balances.set(account, this.setup.initialBalance);
      writes.push({ key: DATA_KEY.balance(account), value: this.setup.initialBalance });
    }
    return writes;
  }

  /** What the lab's convergence and durability checkers read: balances (bank) or the map (kv). */
  statusData(): Record<string, unknown> {
    const held: ReadonlyMap<string, unknown> = this.keyValue ? this.values : this.balances;
    const data: Record<string, unknown> = {};
    for (const key of [...held.keys()].sort()) data[key] = held.get(key);
    return data;
  }

  /**
   * A client operation at any node: bank reads are answered where the account lives, transfers
   * and every kv operation go to the coordinator (a kv get is answered from its committed map:
   * see core.ts, onClient, for why that read is linearizable).
   */
  planClient(op: ClientOp, isCoordinator: boolean, openTransactions: number): ClientPlan {
    const fail = (error: string, redirect?: NodeId): ClientPlan => ({ kind: 'reply', result: redirect === undefined ? { type: 'fail', error } : { type: 'fail', error, redirect } });
    const { protocol, coordinator } = this.setup;
    if (this.keyValue) {
      if (!isCoordinator) return fail(`${coordinator} coordinates every put and serves every get`, coordinator);
      return this.planKeyValue(op, openTransactions);
    }
    if (op.f === 'get' || op.f === 'balance') {
      const account = op.key ?? '';
      const owner = this.validAccount(account) ? ownerOfAccount(account, this.setup.participants) : null;
      if (owner === null) return fail(`no account '${account}' (accounts a1…a${this.setup.accounts})`);
      if (owner !== this.setup.self) return fail(`${account} is held by ${owner}`, owner);
      // The committed balance; a transfer under way is not visible until it commits.
      return { kind: 'reply', result: { type: 'ok', value: this.balances.get(account) ?? 0 } };
    }
    if (op.f !== 'transfer') return fail(`${protocol} serves transfer and balance, not '${op.f}'`);
    if (!isCoordinator) return fail(`${coordinator} coordinates transfers`, coordinator);
    const transfer = this.parseTransfer(op.value);
    if (typeof transfer === 'string') return fail(transfer);
    if (openTransactions >= TRANSACTION_DATA_LIMITS.openTransactionsMax) return fail('too many transactions in flight');
    return { kind: 'transaction', changes: this.transferChanges(transfer), transfer, write: null };
  }

  private planKeyValue(op: ClientOp, openTransactions: number): ClientPlan {
    const { keyCharsMax, keysMax, valueCharsMax, openTransactionsMax } = TRANSACTION_DATA_LIMITS;
    const fail = (error: string): ClientPlan => ({ kind: 'reply', result: { type: 'fail', error } });
    if (op.f !== 'put' && op.f !== 'get') return fail(`${this.setup.protocol} (kv) serves put and get, not '${op.f}'`);
    const key = op.key;
    if (typeof key !== 'string' || key.length === 0 || key.length > keyCharsMax) return fail(`bad-request: key must be a string of 1..${keyCharsMax} characters`);
    if (op.f === 'get') return { kind: 'reply', result: { type: 'ok', value: this.values.has(key) ? this.values.get(key) : null } };
    // null is what a get answers for a missing key: it is not a value one can put.
    if (op.value === undefined || op.value === null) return fail('bad-request: put needs a value (not null)');
    if ((JSON.stringify(op.value)?.length ?? 0) > valueCharsMax) return fail(`bad-request: a value is at most ${valueCharsMax} characters as JSON`);
    if (!this.values.has(key) && this.values.size >= keysMax) return fail(`too-many-keys: the map holds ${keysMax}`);
    if (openTransactions >= openTransactionsMax) return fail('too many transactions in flight');
    const changes = Object.fromEntries(this.setup.participants.map((participant) => [participant, { [key]: op.value }]));
    return { kind: 'transaction', changes, transfer: null, write: { key, value: op.value } };
  }

  private validAccount(account: string): boolean {
    return /^a[1-9][0-9]*$/.test(account) && Number(account.slice(1)) <= this.setup.accounts;
  }

  private parseTransfer(raw: unknown): Transfer | string {
    const value = raw as Partial<Transfer> | null;
    if (typeof value !== 'object' || value === null) return 'a transfer is {from, to, amount}';
    const { from, to, amount } = value;
    if (typeof from !== 'string' || !this.validAccount(from) || typeof to !== 'string' || !this.validAccount(to)) return `from and to are accounts a1…a${this.setup.accounts}`;
    if (from === to) return 'from and to must differ';
    if (typeof amount !== 'number' || !Number.isInteger(amount) || amount <= 0 || amount > TRANSACTION_DATA_LIMITS.balanceMax) return 'amount is a positive integer';
    return { from, to, amount };
  }

  /** A transfer's share per participant: the one or two that hold its accounts. */
  private transferChanges(transfer: Transfer): Record<NodeId, Changes> {
    const changes: Record<NodeId, Record<string, number>> = {};
    const add = (account: string, amount: number): void => {
      const owner = ownerOfAccount(account, this.setup.participants);
      changes[owner] = { ...changes[owner], [account]: (changes[owner]?.[account] ?? 0) + amount };
    };
    add(transfer.from, -transfer.amount);
    add(transfer.to, transfer.amount);
    return changes;
  }

  /** Whether a share arriving in a message has the right shape: integer amounts (bank), or values that are not null (kv). */
  validChanges(raw: unknown): raw is Changes {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
    return Object.values(raw).every((change) => (this.keyValue ? change !== undefined && change !== null : Number.isInteger(change)));
  }

  /** Why this participant votes no (a lock held by another transaction — no waiting —, money or room missing), or null. */
  refusal(tx: string, changes: Changes): string | null {
    for (const [name, change] of Object.entries(changes)) {
      // bank: a locked account is always one this participant holds (only names that passed
      // this check get locked), so whether the lock or the holding is checked first is the same.
      const holder = this.locks.get(name);
      if (holder !== undefined && holder !== tx) return `${name} is locked by ${holder}`;
      if (this.keyValue) {
        if (!this.values.has(name) && this.values.size >= TRANSACTION_DATA_LIMITS.keysMax) return `too-many-keys: ${this.setup.self} holds ${TRANSACTION_DATA_LIMITS.keysMax}`;
        continue;
      }
      if (!this.balances.has(name)) return `${this.setup.self} does not hold ${name}`;
      if ((this.balances.get(name) ?? 0) + (change as number) < 0) return `${name} has ${this.balances.get(name)}, cannot pay ${-(change as number)}`;
    }
    return null;
  }

  lock(tx: string, changes: Changes): void {
    for (const name of Object.keys(changes)) this.locks.set(name, tx);
  }

  unlock(tx: string, changes: Changes): void {
    for (const name of Object.keys(changes)) if (this.locks.get(name) === tx) this.locks.delete(name);
  }

  /** A commit's changes applied; the writes to persist before anyone hears of it. */
  apply(changes: Changes): StableWrite[] {
    const writes: StableWrite[] = [];
    for (const [name, change] of Object.entries(changes)) {
      if (this.keyValue) {
        this.values.set(name, change);
        writes.push({ key: DATA_KEY.value(name), value: change });
        continue;
      }
      const balance = (this.balances.get(name) ?? 0) + (change as number);
      this.balances.set(name, balance);
      writes.push({ key: DATA_KEY.balance(name), value: balance });
    }
    return writes;
  }

  /** kv: the coordinator's committed map takes a write (at its commit decision). */
  write(write: KeyValueWrite): StableWrite {
    this.values.set(write.key, write.value);
    return { key: DATA_KEY.value(write.key), value: write.value };
  }
}
