// The key-value service on top of Raft (dissertation chapter 6, "Client interaction"): the
// replicated state machine, and the client requests a leader holds until it can answer them —
// writes until their entry is applied (§6.3: exactly once, with the sessions of
// state-machine.ts), reads until their read-index round is confirmed and their index applied
// (§6.4, read-index.ts). It decides what a request becomes; the core logs, replicates and
// runs the heartbeat rounds. A leader that steps down answers everything it holds.

import type { ClientOp, ClientResult } from '../../contract/envelope.ts';
import { parseOp } from './entries.ts';
import type { Entry } from './log.ts';
import type { MembershipRequest } from './membership.ts';
import { ReadIndexQueue, type PendingRead } from './read-index.ts';
import { KvStateMachine, type Command } from './state-machine.ts';

export type Answer = (requestId: string, result: ClientResult) => void;

/** What a client request at the leader becomes, in the order the checks run. */
export type Admission =
  /** Answered at once: refused (overloaded, malformed), or a retried write that was already applied. */
  | { kind: 'answer'; result: ClientResult }
  | { kind: 'membership'; f: MembershipRequest; node: unknown }
  | { kind: 'read'; key: string }
  | { kind: 'write'; command: Command };

/** A client write in the log, answered once its entry is applied (or replaced, or leadership lost). */
interface PendingWrite {
  requestId: string;
  term: number;
}

export class KvService {
  readonly machine = new KvStateMachine();
  private readonly writes = new Map<number, PendingWrite>();
  private readonly reads = new ReadIndexQueue();
  private readonly maxPendingRequests: number;

  constructor(maxPendingRequests: number) {
    this.maxPendingRequests = maxPendingRequests;
  }

  get pendingWrites(): number {
    return this.writes.size;
  }

  get pendingReads(): number {
    return this.reads.size;
  }

  /** A request at the leader: bounded (maxPendingRequests), validated, de-duplicated by its session. */
  admit(op: ClientOp): Admission {
    if (this.writes.size + this.reads.size >= this.maxPendingRequests) return { kind: 'answer', result: { type: 'fail', error: 'overloaded' } };
    if (op.f === 'add-server' || op.f === 'remove-server') return { kind: 'membership', f: op.f, node: op.value };
    const parsed = parseOp(op);
    if (typeof parsed === 'string') return { kind: 'answer', result: { type: 'fail', error: parsed } };
    if (parsed.f === 'get') return { kind: 'read', key: parsed.key };
    const duplicate = this.machine.duplicateResult(parsed.client, parsed.seq);
    if (duplicate !== null) return { kind: 'answer', result: duplicate };
    return { kind: 'write', command: parsed };
  }

  /** The request's entry is in the leader's log at `index`, in `term`. */
  awaitCommit(index: number, write: PendingWrite): void {
    this.writes.set(index, write);
  }

  awaitRead(read: PendingRead): void {
    this.reads.add(read);
  }

  /** Figure 2: "apply log[lastApplied] to state machine"; what the entry's client is told. */
  apply(entry: Entry): ClientResult {
    return entry.kind === 'command' ? this.machine.apply(entry.command, entry.index) : { type: 'ok' };
  }

  /** An applied entry answers the write waiting on its index: with its result, or `info` if another term's entry took the index. */
  settle(entry: Entry, result: ClientResult, answer: Answer): void {
    const pending = this.writes.get(entry.index);
    if (pending === undefined) return;
    this.writes.delete(entry.index);
    answer(pending.requestId, pending.term === entry.term ? result : { type: 'info', error: 'entry-replaced' });
  }

  /** Answers the reads whose round a majority confirmed, once their read index is applied. */
  serveReads(options: { roundConfirmed: (round: number) => boolean; appliedIndex: number; answer: Answer }): void {
    const { answer } = options;
    this.reads.serve({ ...options, answer: (read) => answer(read.requestId, { type: 'ok', value: this.machine.read(read.key) }) });
  }

  /** A leader that steps down: what it promised but did not commit may still commit, or not. */
  abandon(answer: Answer): void {
    for (const write of this.writes.values()) answer(write.requestId, { type: 'info', error: 'leadership-lost' });
    this.writes.clear();
    // A read that was not answered had no effect: it certainly did not happen.
    for (const read of this.reads.takeAll()) answer(read.requestId, { type: 'fail', error: 'leadership-lost' });
  }
}
