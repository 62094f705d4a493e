// Simulated clients, Jepsen-style: each has at most one operation outstanding, records an
// `invoke` and then exactly one completion — `ok`, `fail` (it certainly did not happen) or
// `info` (a timeout or a dropped connection: it may have happened). It asks the primary its
// home node believes in and follows one redirect per operation, as the real lab's client does
// (the simulator picks the node: Simulation.pickTarget).

import type { NodeId, ProcessId } from '../../src-node/contract/clock.ts';
import type { ClientOp } from '../../src-node/contract/envelope.ts';
import type { Random } from '../../src-node/protocols/random/prng.ts';
import type { SimWorkload } from './config.ts';

export interface OpenOp {
  opNumber: number;
  requestId: string;
  op: ClientOp;
  node: NodeId;
  invokedAtMs: number;
  /** This invocation already follows a redirect: the next redirect is not followed. */
  redirected: boolean;
}

export class SimClient {
  /** Operations numbered from 1; a late answer names an older number and is ignored. */
  opNumber = 0;
  open: OpenOp | null = null;
  /** Issues operations until the workload ends; the probe client only when asked. */
  active = true;
  /** When the current operation (with its redirect) began, for pacing. */
  startedAtMs = 0;
  private written = 0;

  constructor(readonly id: ProcessId, readonly home: NodeId, readonly random: Random, readonly probe = false) {
  }

  /** The next operation, as the real workload draws it (src-main/lab/run.ts). */
  nextOp(workload: SimWorkload): ClientOp {
    const write = this.random.next() < workload.writeShare;
    if (write) this.written += 1;
    const key = workload.uniqueKeys
      ? (write ? `k-${this.id}-${this.written}` : `k-${this.id}-${Math.max(1, this.written)}`)
      : `k${this.random.int(1, workload.keys)}`;
    return write ? { f: 'put', key, value: `${this.id}-${this.written}` } : { f: 'get', key };
  }
}
