// The bank checker (src-main/checkers/bank.ts) on hand-made runs: one rule per test — money
// is conserved, every transaction all or nothing, clients told the truth — and what it must
// not call a violation: a transaction in doubt, a trace that a killed node left incomplete.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import { BankLedgerMonitor, bankSetup, checkBank, type BankCheckInput } from '../../src-main/checkers/bank.ts';
import type { CompletedOp } from '../../src-main/workload/client.ts';

const NODES = ['n1', 'n2', 'n3'];
const SETUP = bankSetup({ accounts: 4, initialBalance: 10 }, NODES);
/** Two accounts held by different participants. */
const [FROM, TO] = (() => {
  for (const from of SETUP.accounts) for (const to of SETUP.accounts) if (SETUP.ownerOf(from) !== SETUP.ownerOf(to)) return [from, to];
  throw new Error('one participant holds every account');
})() as [string, string];
const PAYER = SETUP.ownerOf(FROM);
const PAYEE = SETUP.ownerOf(TO);

let seq = 0;
function note(node: string, name: string, detail: Record<string, unknown>): TraceEvent {
  seq += 1;
  return { node, seq, kind: 'state', lamport: seq, vclock: {}, nodeTimeMs: seq, labTimeMs: seq, detail: { name, ...detail } };
}

/** The notes of one transfer of `amount` from FROM to TO, as far as `upTo` goes. */
function transfer(tx: string, amount: number, upTo: 'voted' | 'committed' | 'aborted'): TraceEvent[] {
  const participants = [PAYER, PAYEE].sort();
  const events = [
    note('n1', 'prepare', { tx, participants, transfer: { from: FROM, to: TO, amount } }),
    note(PAYER, 'voted-yes', { tx, changes: { [FROM]: -amount } }),
    note(PAYEE, 'voted-yes', { tx, changes: { [TO]: amount } }),
  ];
  if (upTo === 'voted') return events;
  const outcome = upTo === 'committed' ? 'commit' : 'abort';
  return [...events, note('n1', `${outcome}-decided`, { tx }),
    note(PAYER, upTo, { tx, changes: { [FROM]: -amount } }), note(PAYEE, upTo, { tx, changes: { [TO]: amount } })];
}

function op(tx: string, type: 'ok' | 'fail' | 'info', amount = 3): CompletedOp {
  const outcome = { tx, participants: [PAYER, PAYEE].sort() };
  return { client: 'c1', node: 'n1', op: { f: 'transfer', value: { from: FROM, to: TO, amount } }, result: type === 'info' ? { type } : { type, value: outcome }, invokedAtMs: 0, completedAtMs: 1, opId: `c1:${tx}` };
}

/** Final balances: the initial ones, with `moved` taken from FROM to TO. */
function finals(moved: number, overrides: Record<string, number> = {}): BankCheckInput['finals'] {
  const balances: Record<string, number> = Object.fromEntries(SETUP.accounts.map((account) => [account, 10]));
  balances[FROM] = 10 - moved;
  balances[TO] = 10 + moved;
  Object.assign(balances, overrides);
  return SETUP.participants.map((node) => ({ node, balances: Object.fromEntries(SETUP.accounts.filter((account) => SETUP.ownerOf(account) === node).map((account) => [account, balances[account]])) }));
}

function judge(events: TraceEvent[], options: { finals: BankCheckInput['finals']; operations?: CompletedOp[]; traceComplete?: boolean }): ReturnType<typeof checkBank> {
  const monitor = new BankLedgerMonitor();
  for (const event of events) monitor.observe(event);
  return checkBank({ ...SETUP, transactions: monitor.transactions, operations: options.operations ?? [], finals: options.finals, traceComplete: options.traceComplete ?? true });
}

describe('bank checker', () => {
  it('valid: a committed and an aborted transfer, balances that are the committed ones, clients told the truth', () => {
    const result = judge([...transfer('t1', 3, 'committed'), ...transfer('t2', 4, 'aborted')], { finals: finals(3), operations: [op('t1', 'ok'), op('t2', 'fail', 4)] });
    assert.equal(result.verdict, 'valid', result.summary);
    assert.deepEqual({ committed: result.stats.committed, aborted: result.stats.aborted, total: result.stats.total }, { committed: 1, aborted: 1, total: 40 });
  });

  it('money not conserved is invalid', () => {
    const result = judge(transfer('t1', 3, 'committed'), { finals: finals(3, { [TO]: 14 }) });
    assert.equal(result.verdict, 'invalid');
    assert.ok(result.violations.some((violation) => violation.kind === 'conservation'), result.summary);
  });

  it('a transaction committed on one participant and aborted on the other is invalid (atomicity)', () => {
    const events = transfer('t1', 3, 'voted');
    events.push(note('n1', 'commit-decided', { tx: 't1' }), note(PAYER, 'committed', { tx: 't1', changes: { [FROM]: -3 } }), note(PAYEE, 'aborted', { tx: 't1', changes: { [TO]: 3 } }));
    const result = judge(events, { finals: finals(0, { [FROM]: 7 }) });
    assert.equal(result.verdict, 'invalid');
    assert.ok(result.violations.some((violation) => violation.kind === 'atomicity' && violation.tx === 't1'), result.summary);
  });

  it('applying what the coordinator did not decide is invalid', () => {
    const events = transfer('t1', 3, 'voted');
    events.push(note('n1', 'abort-decided', { tx: 't1' }), note(PAYER, 'committed', { tx: 't1', changes: { [FROM]: -3 } }), note(PAYEE, 'committed', { tx: 't1', changes: { [TO]: 3 } }));
    assert.match(judge(events, { finals: finals(3) }).summary, /decided abort on t1, but .* applied commit/);
  });

  it('an acknowledged transfer that a participant aborted, and a reported abort that was applied, are invalid', () => {
    const acknowledged = judge(transfer('t1', 3, 'aborted'), { finals: finals(0), operations: [op('t1', 'ok')] });
    assert.ok(acknowledged.violations.some((violation) => violation.kind === 'acknowledged-not-applied'), acknowledged.summary);
    const reported = judge(transfer('t1', 3, 'committed'), { finals: finals(3), operations: [op('t1', 'fail')] });
    assert.ok(reported.violations.some((violation) => violation.kind === 'aborted-but-applied'), reported.summary);
  });

  it('a balance that the committed transfers do not explain is invalid (applied twice, or without its note)', () => {
    const result = judge(transfer('t1', 3, 'committed'), { finals: finals(6) });
    assert.ok(result.violations.some((violation) => violation.kind === 'balance-mismatch'), result.summary);
  });

  it('a transaction in doubt (voted yes, no outcome yet) is listed with whom its participants wait on — not a violation', () => {
    const events = [...transfer('t1', 3, 'voted'), note(PAYER, 'blocked', { tx: 't1', waitingOn: 'n1' })];
    const result = judge(events, { finals: finals(0), operations: [op('t1', 'info')] });
    assert.equal(result.verdict, 'valid', result.summary);
    assert.deepEqual(result.inDoubt, [{ tx: 't1', waiting: [PAYER, PAYEE].sort(), blockedOn: { [PAYER]: 'n1' } }]);
    assert.match(result.summary, /1 in doubt/);
  });

  it('a participant that cannot be read makes conservation unknown; an incomplete trace turns what only a lost note explains into unknown', () => {
    const unreadable = finals(3).map((final, index) => (index === 0 ? { ...final, balances: null } : final));
    assert.equal(judge(transfer('t1', 3, 'committed'), { finals: unreadable }).verdict, 'unknown');
    const lostNote = transfer('t1', 3, 'committed').filter((event) => (event.detail as { name: string }).name !== 'committed' || event.node !== PAYEE);
    assert.equal(judge(lostNote, { finals: finals(3), traceComplete: true }).verdict, 'invalid');
    assert.equal(judge(lostNote, { finals: finals(3), traceComplete: false }).verdict, 'unknown');
  });
});

describe('bank checker and a coordinator killed before it reported its decision', () => {
  it('the commit records a restarted coordinator lists count as its decisions', () => {
    const lost = transfer('t1', 3, 'committed').filter((event) => (event.detail as { name: string }).name !== 'commit-decided');
    assert.equal(judge(lost, { finals: finals(3), traceComplete: false }).verdict, 'unknown', 'a commit with no decision seen');
    const recovered = [...lost, note('n1', 'recovered', { role: 'coordinator', commitRecords: ['t1'], counter: 1 })];
    assert.equal(judge(recovered, { finals: finals(3), traceComplete: false }).verdict, 'valid');
  });
});
