// The consensus checker (src-main/checkers/consensus.ts), one test per property of "Paxos Made
// Simple" §2.1 it judges: agreement (only a single value is chosen), validity (only a proposed
// value may be chosen), integrity (a process never learns that a value has been chosen unless it
// actually has been — here: a node learns once and keeps it).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryEntry } from '../../src-node/contract/history.ts';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import { ConsensusMonitor, valueKey } from '../../src-main/checkers/consensus.ts';

let seq = 0;
function learned(node: string, value: unknown, atMs: number): TraceEvent {
  seq += 1;
  return { node, seq, kind: 'state', lamport: seq, vclock: {}, nodeTimeMs: atMs, labTimeMs: atMs, detail: { name: 'learned', value, ballot: { round: 1, node: 'n1' } } };
}

function history(...ops: [process: string, f: string, invoked: unknown, answer: unknown][]): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const [process, f, invoked, answer] of ops) {
    entries.push({ index: entries.length, type: 'invoke', process, f, value: invoked, time: entries.length });
    entries.push({ index: entries.length, type: answer === undefined ? 'info' : 'ok', process, f, value: answer === undefined ? invoked : answer, time: entries.length, node: 'n1' });
  }
  return entries;
}

function judge(events: TraceEvent[], entries: HistoryEntry[], finals?: { node: string; up: boolean; data: Record<string, unknown> | undefined }[]) {
  const monitor = new ConsensusMonitor();
  for (const event of events) monitor.observe(event);
  return monitor.result({ history: entries, ...(finals ? { finals } : {}) });
}

describe('consensus checker', () => {
  it('valid: one proposed value, learned once by each node, and every answer names it', () => {
    const result = judge([learned('n1', 'a', 10), learned('n2', 'a', 11), learned('n3', 'a', 12)],
      history(['c1', 'propose', 'a', 'a'], ['c2', 'propose', 'b', 'a'], ['c2', 'read', undefined, 'a']),
      [{ node: 'n1', up: true, data: { chosen: 'a' } }, { node: 'n4', up: true, data: {} }]);
    assert.equal(result.verdict, 'valid', result.summary);
    assert.deepEqual(result.decided, { value: 'a', firstNode: 'n1', firstAtMs: 10 });
    assert.deepEqual(Object.keys(result.learnedBy).sort(), ['n1', 'n2', 'n3']);
    assert.match(result.summary, /"a" \(proposed by a client\) learned once each by n1, n2, n3/);
  });

  it('valid and says so when nothing was decided (a livelocked duel is safe)', () => {
    const result = judge([], history(['c1', 'propose', 'a', undefined], ['c2', 'read', undefined, null]));
    assert.equal(result.verdict, 'valid');
    assert.equal(result.decided, null);
    assert.match(result.summary, /no node learned a value \(1 value\(s\) proposed\)/);
  });

  it('agreement: two nodes learning different values is a violation, with both claims as evidence', () => {
    const result = judge([learned('n1', 'a', 10), learned('n4', 'b', 20)], history(['c1', 'propose', 'a', 'a'], ['c2', 'propose', 'b', 'b']));
    assert.equal(result.verdict, 'invalid');
    const violation = result.violations.find((found) => found.property === 'agreement')!;
    assert.match(violation.summary, /2 different values claimed chosen: "a", "b"/);
    assert.ok(violation.evidence.some((line) => line.startsWith('n4 learned "b"')));
  });

  it('agreement: a client told a value the nodes did not learn is a violation too', () => {
    const result = judge([learned('n1', 'a', 10)], history(['c1', 'propose', 'a', 'a'], ['c2', 'propose', 'b', 'b']));
    assert.equal(result.violations[0]?.property, 'agreement');
    assert.ok(result.violations[0]!.evidence.some((line) => line.includes("c2's propose at n1 answered \"b\"")));
  });

  it('validity: a value no client proposed must not be learned', () => {
    const result = judge([learned('n1', 'z', 10)], history(['c1', 'propose', 'a', undefined]));
    assert.equal(result.verdict, 'invalid');
    assert.deepEqual(result.violations.map((violation) => violation.property), ['validity']);
  });

  it('integrity: a node learns at most once, and shows what it learned at the end', () => {
    const twice = judge([learned('n1', 'a', 10), learned('n1', 'a', 50)], history(['c1', 'propose', 'a', 'a']));
    assert.deepEqual(twice.violations.map((violation) => violation.property), ['integrity']);
    assert.match(twice.violations[0]!.summary, /n1 learned 2 times/);
    const forgot = judge([learned('n2', 'a', 10)], history(['c1', 'propose', 'a', 'a']), [{ node: 'n2', up: true, data: {} }]);
    assert.match(forgot.violations[0]!.summary, /forgot its decision/);
    const changed = judge([learned('n2', 'a', 10)], history(['c1', 'propose', 'a', 'a'], ['c2', 'propose', 'b', undefined]), [{ node: 'n2', up: true, data: { chosen: 'b' } }]);
    assert.deepEqual(changed.violations.map((violation) => violation.property).sort(), ['agreement', 'integrity']);
    // A node that is down at the end shows nothing: not a violation.
    assert.equal(judge([learned('n2', 'a', 10)], history(['c1', 'propose', 'a', 'a']), [{ node: 'n2', up: false, data: undefined }]).verdict, 'valid');
  });

  it('values are compared as JSON, whatever the key order', () => {
    assert.equal(valueKey({ b: 1, a: [1, { d: 2, c: 3 }] }), valueKey({ a: [1, { c: 3, d: 2 }], b: 1 }));
    assert.notEqual(valueKey('1'), valueKey(1));
  });
});
