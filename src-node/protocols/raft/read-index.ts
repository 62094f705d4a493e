// Linearizable reads by read-index (Ongaro's dissertation §6.4), not reads through the log.
//
// A `get` at the leader records readIndex = commitIndex (or the index of the leader's
// term-start no-op while no entry of its term is committed: until then it does not know the
// true commit index), then starts a new heartbeat round; once a majority acknowledged a round
// started after the read arrived, this node was still the leader when the read arrived, and
// the read is answered from the state machine once appliedIndex ≥ readIndex. We chose it over
// logging reads because a read then costs one heartbeat round and no disk write, and the log
// (and the snapshots) grow only with writes. A deposed leader cannot serve: a majority will
// not acknowledge its round. We do not use lease reads: they would trust the nodes' clocks,
// which the lab skews on purpose.
//
// This file holds the leader's queue of reads waiting for their round and their index (as
// etcd-raft's read_only.go); the leader in core.ts runs the rounds and answers.

/** A read waiting for a majority to acknowledge `round` and for appliedIndex ≥ readIndex. */
export interface PendingRead {
  requestId: string;
  key: string;
  readIndex: number;
  round: number;
}

/** §6.4 step 1: the commit index, but never below the leader's term-start entry. */
export function readIndexOf(leader: { commitIndex: number; termStartIndex: number }): number {
  return Math.max(leader.commitIndex, leader.termStartIndex);
}

export class ReadIndexQueue {
  private reads: PendingRead[] = [];

  get size(): number {
    return this.reads.length;
  }

  add(read: PendingRead): void {
    this.reads.push(read);
  }

  /**
   * Answers, in arrival order, every read whose round a majority confirmed and whose read
   * index is applied; the others keep waiting.
   */
  serve(options: { roundConfirmed: (round: number) => boolean; appliedIndex: number; answer: (read: PendingRead) => void }): void {
    this.reads = this.reads.filter((read) => {
      if (!options.roundConfirmed(read.round) || options.appliedIndex < read.readIndex) return true;
      options.answer(read);
      return false;
    });
  }

  /** A leader that steps down: every waiting read leaves the queue, in arrival order, to be failed. */
  takeAll(): PendingRead[] {
    const reads = this.reads;
    this.reads = [];
    return reads;
  }
}
