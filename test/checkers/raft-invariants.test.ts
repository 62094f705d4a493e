// Raft's invariant monitor on hand-made traces: one per property of Figure 3 that it checks,
// each violated once, and a clean trace that passes. Reference: Raft §5.2, §5.3, §5.4, Figure 3.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import { checkRaftInvariants, digestOfEntry, RaftInvariantMonitor } from '../../src-main/checkers/raft-invariants.ts';
import { entryDigest } from '../../src-node/protocols/raft/index.ts';

let seq = 0;
function event(node: string, atMs: number, kind: TraceEvent['kind'], fields: Partial<TraceEvent> = {}): TraceEvent {
  seq += 1;
  return { node, seq, kind, lamport: seq, vclock: {}, nodeTimeMs: atMs, labTimeMs: atMs, ...fields };
}
const elected = (node: string, atMs: number, term: number, lastIndex = 0): TraceEvent =>
  event(node, atMs, 'state', { detail: { name: 'elected', term, votes: [node], lastIndex, lastTerm: 0 } });
const commit = (node: string, atMs: number, term: number, entries: [number, number, string][]): TraceEvent =>
  event(node, atMs, 'state', { detail: { name: 'commit', commitIndex: entries.at(-1)?.[0] ?? 0, term, entries } });
const put = (key: string, value: unknown) => ({ kind: 'command', command: { f: 'put', key, value } });
const digest = (key: string, value: unknown): string => digestOfEntry(put(key, value));
const append = (node: string, atMs: number, payload: Record<string, unknown>): TraceEvent =>
  event(node, atMs, 'send', { msgType: 'append-entries', peer: 'n9', detail: { payload: { leaderCommit: 0, round: 1, ...payload } } });

/** A clean run: n1 leads term 1 and commits two entries everywhere; n2 leads term 2 with the whole log and commits a third. */
function cleanTrace(): TraceEvent[] {
  return [
    elected('n1', 100, 1, 0),
    append('n1', 110, { term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [{ index: 1, term: 1, ...put('a', 1) }, { index: 2, term: 1, ...put('b', 2) }] }),
    commit('n1', 120, 1, [[1, 1, digest('a', 1)], [2, 1, digest('b', 2)]]),
    commit('n2', 130, 1, [[1, 1, digest('a', 1)]]),
    commit('n3', 130, 1, [[1, 1, digest('a', 1)], [2, 1, digest('b', 2)]]),
    elected('n2', 500, 2, 2),
    append('n2', 510, { term: 2, prevLogIndex: 2, prevLogTerm: 1, entries: [{ index: 3, term: 2, kind: 'noop' }] }),
    commit('n2', 520, 2, [[2, 1, digest('b', 2)], [3, 2, digestOfEntry({ kind: 'noop' })]]),
  ];
}

describe('raft invariants from the trace', () => {
  it('a clean trace is valid: one leader per term, committed entries agree, leaders complete', () => {
    const result = checkRaftInvariants(cleanTrace());
    assert.equal(result.verdict, 'valid', result.summary);
    assert.deepEqual(result.violations, []);
    assert.equal(result.stats.committedIndices, 3);
    assert.equal(result.stats.appendsRead, 2);
  });

  it('the checker\'s digest of an entry as a message carries it is the core\'s digest', () => {
    const entry = { index: 4, term: 2, kind: 'command' as const, command: { f: 'put' as const, key: 'k', value: { x: [1, 2] } } };
    assert.equal(digestOfEntry(JSON.parse(JSON.stringify(entry)) as Record<string, unknown>), entryDigest(entry));
    assert.notEqual(entryDigest(entry), entryDigest({ ...entry, command: { ...entry.command, value: 'other' } }));
  });

  it('a trace with no election is unknown, not valid', () => {
    assert.equal(checkRaftInvariants([commit('n1', 1, 1, [])]).verdict, 'unknown');
  });

  // Figure 3: "Election Safety: at most one leader can be elected in a given term. §5.2"
  it('election safety: two leaders in one term', () => {
    const first = elected('n1', 100, 3);
    const second = elected('n2', 200, 3);
    const result = checkRaftInvariants([...cleanTrace(), first, second]);
    assert.equal(result.verdict, 'invalid');
    const violation = result.violations.find((candidate) => candidate.invariant === 'election-safety');
    assert.ok(violation, result.summary);
    assert.deepEqual(violation.events, [first, second], 'the two elected notes prove it');
    assert.match(violation.summary, /two leaders in term 3: n1 and n2/);
  });

  // Figure 3: "State Machine Safety: if a server has applied a log entry at a given index to its state machine, no other server will ever apply a different log entry for the same index. §5.4.3"
  it('state machine safety: two nodes apply entries of different terms at one index', () => {
    const mine = commit('n1', 100, 1, [[1, 1, digest('a', 1)]]);
    const theirs = commit('n2', 300, 2, [[1, 2, digest('a', 9)]]);
    const result = checkRaftInvariants([elected('n1', 50, 1), mine, elected('n2', 250, 2), theirs]);
    const violation = result.violations.find((candidate) => candidate.invariant === 'state-machine-safety');
    assert.ok(violation, result.summary);
    assert.deepEqual(violation.events, [mine, theirs]);
    assert.match(violation.summary, /index 1: n1 applied an entry of term 1/);
  });

  // Figure 3: "Log Matching: if two logs contain an entry with the same index and term, then the logs are identical in all entries up through the given index. §5.3"
  it('log matching: one index and term, two different commands applied', () => {
    const result = checkRaftInvariants([elected('n1', 50, 1), commit('n1', 100, 1, [[1, 1, digest('a', 1)]]), commit('n2', 110, 1, [[1, 1, digest('a', 2)]])]);
    assert.deepEqual(result.violations.map((violation) => violation.invariant), ['log-matching']);
  });

  // Figure 3: "Leader Completeness: if a log entry is committed in a given term, then that entry will be present in the logs of the leaders for all higher-numbered terms. §5.4"
  it('leader completeness: a leader elected with a log shorter than what was committed before', () => {
    const committed = commit('n1', 100, 1, [[1, 1, digest('a', 1)], [2, 1, digest('b', 2)]]);
    const short = elected('n3', 400, 2, 1);
    const result = checkRaftInvariants([elected('n1', 50, 1), committed, short]);
    const violation = result.violations.find((candidate) => candidate.invariant === 'leader-completeness');
    assert.ok(violation, result.summary);
    assert.deepEqual(violation.events, [committed, short]);
    assert.match(violation.summary, /n3 became leader of term 2 with log length 1, but index 2 was committed by term 1/);
  });

  it('leader completeness: a later leader\'s AppendEntries hold a different entry at a committed index', () => {
    const committed = commit('n1', 100, 1, [[1, 1, digest('a', 1)]]);
    const wrong = append('n2', 400, { term: 2, prevLogIndex: 0, prevLogTerm: 0, entries: [{ index: 1, term: 2, ...put('z', 0) }] });
    const result = checkRaftInvariants([elected('n1', 50, 1), committed, elected('n2', 390, 2, 1), wrong]);
    const violation = result.violations.find((candidate) => candidate.invariant === 'leader-completeness');
    assert.ok(violation, result.summary);
    assert.deepEqual(violation.events, [committed, wrong]);
  });

  // Figure 3: "Leader Append-Only: a leader never overwrites or deletes entries in its log; it only appends new entries. §5.3"
  it('leader append-only: one leader, one term, two different entries at one index', () => {
    const first = append('n1', 100, { term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [{ index: 1, term: 1, ...put('a', 1) }] });
    const second = append('n1', 200, { term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [{ index: 1, term: 1, ...put('a', 2) }] });
    const result = checkRaftInvariants([elected('n1', 50, 1), first, second]);
    assert.deepEqual(result.violations.map((violation) => violation.invariant), ['leader-append-only']);
    assert.deepEqual(result.violations[0]!.events, [first, second]);
  });

  it('the monitor is incremental: the verdict after each event is the verdict of the prefix', () => {
    const trace = [...cleanTrace(), elected('n3', 900, 2)];
    const monitor = new RaftInvariantMonitor();
    trace.forEach((item, index) => {
      monitor.observe(item);
      assert.equal(monitor.result().verdict, checkRaftInvariants(trace.slice(0, index + 1)).verdict);
    });
    assert.equal(monitor.result().verdict, 'invalid');
  });
});
