// The rules the Raft core delegates to its pure modules (src-node/protocols/raft: quorum.ts,
// election.ts, progress.ts, log-matching.ts, membership.ts, read-index.ts, pipeline.ts,
// outbox.ts), each tested on its own, with the sentence of the paper it implements. The
// core's behaviour with them is tested in raft.test.ts; these pin each rule where it lives.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RaftLog, STABLE_KEY, type Entry } from '../../src-node/protocols/raft/log.ts';
import { hasQuorum, quorumMatchIndex, quorumSize } from '../../src-node/protocols/raft/quorum.ts';
import { drawElectionTimeoutMs, electionLost, electionWon, grantsPreVote, grantsVote } from '../../src-node/protocols/raft/election.ts';
import {
  appendBatchLimit, appendSent, backOff, isStaleRejection, matched, newProgress, type Progress,
} from '../../src-node/protocols/raft/progress.ts';
import { checkAppend, firstNewEntry } from '../../src-node/protocols/raft/log-matching.ts';
import { latestConfiguration, planMembershipChange, votersAt } from '../../src-node/protocols/raft/membership.ts';
import { ReadIndexQueue, readIndexOf } from '../../src-node/protocols/raft/read-index.ts';
import { WritePipeline } from '../../src-node/protocols/raft/pipeline.ts';
import { Outbox } from '../../src-node/protocols/raft/outbox.ts';
import type { AppendEntriesReply } from '../../src-node/protocols/raft/messages.ts';

/** A log holding one entry per term in `terms` (index 1 has terms[0]); config entries where `configs` says. */
function logOf(terms: number[], configs: Record<number, string[]> = {}): RaftLog {
  const log = new RaftLog(() => {});
  terms.forEach((term, offset) => {
    const index = offset + 1;
    const voters = configs[index];
    const entry: Entry = voters === undefined ? { index, term, kind: 'noop' } : { index, term, kind: 'config', voters };
    log.append(entry);
  });
  return log;
}

function rejection(fields: Partial<AppendEntriesReply>): AppendEntriesReply {
  return { term: 1, success: false, matchIndex: 0, conflictIndex: 0, conflictTerm: null, rejectedIndex: 0, round: 0, ...fields };
}

describe('raft rules: quorum.ts', () => {
  // Reference: Raft §5.2: "a majority of the servers in the full cluster".
  it('a majority is more than half of the voters', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map((size) => quorumSize(Array.from({ length: size }, (_, i) => `n${i}`))), [1, 2, 2, 3, 3]);
    assert.equal(hasQuorum(['a', 'b', 'c', 'd'], (id) => id !== 'a'), true);
    assert.equal(hasQuorum(['a', 'b', 'c', 'd'], (id) => id === 'a' || id === 'b'), false);
  });

  // Reference: Raft Figure 2, Leaders: "a majority of matchIndex[i] ≥ N".
  it('the commit candidate is the highest index a majority has', () => {
    const match: Record<string, number> = { a: 7, b: 3, c: 5, d: 1, e: 9 };
    assert.equal(quorumMatchIndex(Object.keys(match), (id) => match[id]!), 5);
    assert.equal(quorumMatchIndex(['a', 'b'], (id) => (id === 'a' ? 4 : 2)), 2);
  });
});

describe('raft rules: election.ts', () => {
  it('a (pre-)candidate wins with a majority of the configuration, and loses when a majority refuses', () => {
    const voters = ['a', 'b', 'c'];
    assert.equal(electionWon(new Map([['a', true], ['b', true]]), voters), true);
    // A vote from outside the configuration counts for nothing.
    assert.equal(electionWon(new Map([['a', true], ['x', true]]), voters), false);
    assert.equal(electionLost(new Map([['a', true], ['b', false], ['x', false]]), voters), false);
    assert.equal(electionLost(new Map([['a', true], ['b', false], ['c', false]]), voters), true);
  });

  // Reference: Raft Figure 2, RequestVote RPC, receiver implementation 2.
  it('a vote goes to one candidate per term, whose log is at least as up-to-date', () => {
    const log = logOf([1, 2]);
    const request = { term: 3, lastLogIndex: 2, lastLogTerm: 2 };
    assert.equal(grantsVote({ votedFor: null, log }, 'c', request), true);
    assert.equal(grantsVote({ votedFor: 'c', log }, 'c', request), true);
    assert.equal(grantsVote({ votedFor: 'b', log }, 'c', request), false);
    assert.equal(grantsVote({ votedFor: null, log }, 'c', { term: 3, lastLogIndex: 5, lastLogTerm: 1 }), false);
  });

  // Reference: Ongaro's dissertation §9.6: pre-vote.
  it('a pre-vote is granted only for a higher term, an up-to-date log, and no live leader', () => {
    const log = logOf([1]);
    const request = { term: 2, lastLogIndex: 1, lastLogTerm: 1 };
    assert.equal(grantsPreVote({ term: 1, log, hasLiveLeader: false }, request), true);
    assert.equal(grantsPreVote({ term: 1, log, hasLiveLeader: true }, request), false);
    assert.equal(grantsPreVote({ term: 2, log, hasLiveLeader: false }, request), false);
  });

  // Reference: Raft §5.2: "election timeouts are chosen randomly from a fixed interval".
  it('the election timeout covers [min, max] and draws one number', () => {
    const params = { electionTimeoutMsMin: 150, electionTimeoutMsMax: 300 };
    let draws = 0;
    const at = (value: number): number => drawElectionTimeoutMs(params, () => { draws += 1; return value; });
    assert.deepEqual([at(0), at(0.5), at(0.999999)], [150, 225, 300]);
    assert.equal(draws, 3);
  });
});

describe('raft rules: progress.ts', () => {
  const params = { maxEntriesPerAppend: 4, maxInflightAppends: 2 };

  it('the pipeline holds at most maxInflightAppends full batches', () => {
    const progress: Progress = newProgress(10);
    assert.equal(progress.nextIndex, 11);
    progress.nextIndex = 1;
    assert.equal(appendBatchLimit(progress, params), 4);
    assert.equal(appendSent(progress, 0, 4), 4);
    assert.equal(appendBatchLimit(progress, params), 4);
    assert.equal(appendSent(progress, 4, 4), 4);
    assert.equal(appendBatchLimit(progress, params), 0, 'two batches in flight: full');
    matched(progress, 6);
    assert.equal(appendBatchLimit(progress, params), 4);
  });

  // Reference: Raft §5.3 (end): "the follower can include the term of the conflicting entry and the first index it stores for that term".
  it('fast back-off skips the conflicting term, then probes one append at a time', () => {
    const leaderLog = logOf([1, 1, 2, 2, 4, 4]);
    const progress: Progress = { ...newProgress(6) };
    // The follower holds term 2 at 5, which the leader has up to 4: retry after the leader's last entry of term 2.
    backOff(progress, rejection({ rejectedIndex: 6, conflictIndex: 3, conflictTerm: 2 }), leaderLog);
    assert.deepEqual([progress.nextIndex, progress.probeIndex], [5, 4]);
    // A term the leader never had: back to the first index the follower holds of it.
    const other: Progress = { ...newProgress(6) };
    backOff(other, rejection({ rejectedIndex: 6, conflictIndex: 3, conflictTerm: 3 }), leaderLog);
    assert.deepEqual([other.nextIndex, other.probeIndex], [3, 2]);
    // While probing, an append counts as no room: the loop sends one.
    assert.equal(appendSent(other, 2, 3), 0);
    assert.equal(other.probeIndex, 2);
    assert.equal(isStaleRejection(other, 4), true, 'a rejection of an append sent before the probe');
    assert.equal(isStaleRejection(other, 2), false, 'the probe\'s own rejection');
    matched(other, 5);
    assert.deepEqual([other.nextIndex, other.matchIndex, other.probeIndex], [6, 5, null]);
    assert.equal(isStaleRejection(other, 5), true, 'at or below matchIndex');
  });

  it('back-off never goes below what is matched', () => {
    const progress: Progress = { ...newProgress(6), matchIndex: 4 };
    backOff(progress, rejection({ rejectedIndex: 6, conflictIndex: 1 }), logOf([1, 1, 1, 1, 1, 1]));
    assert.equal(progress.nextIndex, 5);
  });
});

describe('raft rules: log-matching.ts', () => {
  // Reference: Raft Figure 2, AppendEntries RPC, receiver implementation 2.
  it('rejects when the log lacks prevLogIndex or holds another term there, with the back-off hints', () => {
    const log = logOf([1, 1, 2, 2]);
    const request = { term: 3, prevLogIndex: 6, prevLogTerm: 3, entries: [], leaderCommit: 0, round: 1 };
    assert.deepEqual(checkAppend(log, request), { matches: false, conflictIndex: 5, conflictTerm: null });
    assert.deepEqual(checkAppend(log, { ...request, prevLogIndex: 4 }), { matches: false, conflictIndex: 3, conflictTerm: 2 });
    assert.deepEqual(checkAppend(log, { ...request, prevLogIndex: 4, prevLogTerm: 2 }), { matches: true, prevLogIndex: 4, entries: [] });
  });

  it('skips what the snapshot covers: its prefix is committed', () => {
    const log = logOf([1, 1, 2, 2]);
    log.compact(3, 2);
    const entries: Entry[] = [2, 3, 4, 5].map((index) => ({ index, term: index < 5 ? (index < 3 ? 1 : 2) : 3, kind: 'noop' }));
    const check = checkAppend(log, { term: 3, prevLogIndex: 1, prevLogTerm: 1, entries, leaderCommit: 0, round: 1 });
    assert.deepEqual(check, { matches: true, prevLogIndex: 3, entries: entries.slice(2) });
  });

  // Reference: Raft Figure 2, AppendEntries RPC, receiver implementation 3-4.
  it('the first new entry is the first one the log lacks or holds with another term', () => {
    const log = logOf([1, 1, 2]);
    const entry = (index: number, term: number): Entry => ({ index, term, kind: 'noop' });
    assert.equal(firstNewEntry(log, [entry(2, 1), entry(3, 2)]), 2, 'all held');
    assert.equal(firstNewEntry(log, [entry(2, 1), entry(3, 3)]), 1, 'conflict at 3');
    assert.equal(firstNewEntry(log, [entry(3, 2), entry(4, 2)]), 1, 'new at 4');
  });
});

describe('raft rules: membership.ts', () => {
  // Reference: Ongaro's dissertation §4.1: "a server always uses the latest configuration in its log, regardless of whether the entry is committed".
  it('the configuration is the latest config entry, else the snapshot\'s', () => {
    const log = logOf([1, 1, 2, 2], { 2: ['a', 'b'], 4: ['a', 'b', 'c'] });
    assert.deepEqual(latestConfiguration(log, ['a']), { voters: ['a', 'b', 'c'], index: 4 });
    assert.deepEqual(votersAt(log, ['a'], 1), ['a']);
    assert.deepEqual(votersAt(log, ['a'], 3), ['a', 'b']);
    assert.deepEqual(latestConfiguration(logOf([1]), ['x', 'y']), { voters: ['x', 'y'], index: 0 });
  });

  it('a leader refuses a change while another is uncommitted or before an entry of its term commits', () => {
    const leader = { cluster: ['a', 'b', 'c'], voters: ['a', 'b'], latestConfigIndex: 2, commitIndex: 3, committedInTerm: true };
    assert.deepEqual(planMembershipChange({ f: 'add-server', node: 'z' }, leader), { kind: 'refuse', error: 'bad-request: add-server needs value = one of a, b, c' });
    assert.deepEqual(planMembershipChange({ f: 'add-server', node: 'c' }, { ...leader, latestConfigIndex: 4 }), { kind: 'refuse', error: 'config-change-in-progress' });
    assert.deepEqual(planMembershipChange({ f: 'add-server', node: 'c' }, { ...leader, committedInTerm: false }), { kind: 'refuse', error: 'not-ready: no entry of this term committed yet' });
    assert.deepEqual(planMembershipChange({ f: 'add-server', node: 'c' }, leader), { kind: 'propose', voters: ['a', 'b', 'c'] });
    assert.deepEqual(planMembershipChange({ f: 'add-server', node: 'a' }, leader), { kind: 'unchanged' });
    assert.deepEqual(planMembershipChange({ f: 'remove-server', node: 'a' }, { ...leader, voters: ['a'] }), { kind: 'refuse', error: 'bad-request: the last voter cannot be removed' });
  });
});

describe('raft rules: read-index.ts', () => {
  // Reference: Ongaro's dissertation §6.4, read-index steps 1-4.
  it('a read waits for its round and its index, answered in arrival order; step-down takes them all', () => {
    assert.equal(readIndexOf({ commitIndex: 3, termStartIndex: 5 }), 5);
    const queue = new ReadIndexQueue();
    queue.add({ requestId: 'r1', key: 'x', readIndex: 4, round: 1 });
    queue.add({ requestId: 'r2', key: 'y', readIndex: 2, round: 2 });
    queue.add({ requestId: 'r3', key: 'z', readIndex: 2, round: 1 });
    const answered: string[] = [];
    queue.serve({ roundConfirmed: (round) => round <= 1, appliedIndex: 3, answer: (read) => answered.push(read.requestId) });
    assert.deepEqual(answered, ['r3'], 'r1 waits for its index, r2 for its round');
    queue.serve({ roundConfirmed: () => true, appliedIndex: 4, answer: (read) => answered.push(read.requestId) });
    assert.deepEqual(answered, ['r3', 'r1', 'r2']);
    queue.add({ requestId: 'r4', key: 'x', readIndex: 9, round: 3 });
    assert.deepEqual(queue.takeAll().map((read) => read.requestId), ['r4']);
    assert.equal(queue.size, 0);
  });
});

describe('raft rules: pipeline.ts and outbox.ts', () => {
  // Reference: Ongaro's dissertation §10.2.1: the leader may write its log in parallel with replicating it.
  it('the leader counts its own log only as far as the host said it is durable', () => {
    const disk = new WritePipeline(true);
    disk.recovered(2);
    assert.equal(disk.stepWrote({ lastIndex: 4, hardState: true }), 1);
    assert.equal(disk.stepWrote({ lastIndex: 6, hardState: false }), 2);
    assert.equal(disk.matchIndex(6), 2);
    assert.equal(disk.hardStateDurable(), false);
    disk.rewound(5);
    disk.persisted(2);
    assert.equal(disk.matchIndex(6), 4, 'what was written from index 5 on no longer counts');
    assert.equal(disk.hardStateDurable(), true);
    assert.throws(() => disk.persisted(2), /persisted 2 out of order \(durable 2, last 2\)/);
    const plain = new WritePipeline(false);
    assert.equal(plain.stepWrote({ lastIndex: 3, hardState: true }), undefined);
    assert.equal(plain.matchIndex(3), 3);
  });

  it('a step\'s writes go once per key, the hard state last', () => {
    const outbox = new Outbox();
    outbox.begin();
    outbox.write('a', 1);
    outbox.write('b', 2);
    outbox.write('a', 3);
    outbox.reply('r1', { type: 'ok' }, true);
    const ready = outbox.finish({ term: 2, votedFor: 'n1' });
    assert.deepEqual(ready.persist, [{ key: 'a', value: 3 }, { key: 'b', value: 2 }, { key: STABLE_KEY.hard, value: { term: 2, votedFor: 'n1' } }]);
    assert.deepEqual(ready.early, { messages: [], replies: [{ requestId: 'r1', result: { type: 'ok' } }] });
    outbox.begin();
    assert.deepEqual(outbox.finish(null).persist, []);
  });
});
