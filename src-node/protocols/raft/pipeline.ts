// What of this node's writes the disk is known to hold, on a pipelined host (CoreContext.
// pipelined; the node runtime and the simulator are). The leader writes its log in parallel
// with replicating it (Ongaro's dissertation §10.2.1, as etcd-raft does): its AppendEntries and
// all client replies leave as `early` effects, before the step's writes are durable, and the
// host says with `persisted` which steps' writes are. The leader counts itself toward a commit
// majority only up to `durableIndex`, so an entry is committed only once a majority has it on
// disk, the leader included or not; and no message of a term leaves before the term and vote
// are durable. Without pipelining every effect waits for the step's writes, the whole log
// counts, and this tracker hands out no tokens.

import { assert } from './assert.ts';

export class WritePipeline {
  readonly pipelined: boolean;
  /** The log prefix this node's disk is known to hold (pipelined; otherwise the whole log). */
  private durableIndex = 0;
  /** The token of the latest step that persisted, and of the latest one the host said is durable. */
  private persistToken = 0;
  private durableToken = 0;
  /** The token of the latest step that wrote term and vote: no early message before it is durable. */
  private hardToken = 0;
  /** Steps whose writes are not known durable yet, and the log's last index after each. */
  private unpersisted: { token: number; lastIndex: number }[] = [];

  constructor(pipelined: boolean) {
    this.pipelined = pipelined;
  }

  /** After recovery the disk holds everything the log was loaded from. */
  recovered(lastIndex: number): void {
    this.durableIndex = lastIndex;
  }

  /**
   * A step wrote to stable storage (`lastIndex`: the log's end after it; `hardState`: it wrote
   * term and vote). On a pipelined host: the token the host will give back to `persisted`.
   */
  stepWrote(options: { lastIndex: number; hardState: boolean }): number | undefined {
    if (!this.pipelined) return undefined;
    this.persistToken += 1;
    this.unpersisted.push({ token: this.persistToken, lastIndex: options.lastIndex });
    if (options.hardState) this.hardToken = this.persistToken;
    return this.persistToken;
  }

  /** The host: the writes of every step up to `token` are on disk. */
  persisted(token: number): void {
    assert(this.pipelined && token > this.durableToken && token <= this.persistToken, `persisted ${token} out of order (durable ${this.durableToken}, last ${this.persistToken})`);
    this.durableToken = token;
    while (this.unpersisted.length > 0 && this.unpersisted[0]!.token <= token) {
      this.durableIndex = Math.max(this.durableIndex, this.unpersisted.shift()!.lastIndex);
    }
  }

  /** The latest term and vote this node wrote are on disk: messages of that term may leave early. */
  hardStateDurable(): boolean {
    return this.hardToken <= this.durableToken;
  }

  /** How far this node's own log counts toward a commit: on a pipelined host, only what is durable. */
  matchIndex(lastIndex: number): number {
    return this.pipelined ? this.durableIndex : lastIndex;
  }

  /** The log changes from `fromIndex` on (truncation, snapshot install): what the disk held there no longer counts. */
  rewound(fromIndex: number): void {
    this.durableIndex = Math.min(this.durableIndex, fromIndex - 1);
    for (const step of this.unpersisted) step.lastIndex = Math.min(step.lastIndex, fromIndex - 1);
  }
}
