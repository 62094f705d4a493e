// Simulated clients, Jepsen-style: each has at most one operation outstanding, records an
// `invoke` and then exactly one completion — `ok`, `fail` (it certainly did not happen) or
// `info` (a timeout or a dropped connection: it may have happened). It asks the primary its
// home node believes in and follows one redirect per operation, as the real lab's workload does
// (the simulator picks the node: Simulation.pickTarget). What it asks for comes from the
// workload's generator (src-main/workload/generators.ts), the one the real lab uses.

import type { NodeId, ProcessId } from '../../src-node/contract/clock.ts';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import type { Random } from '../../src-node/protocols/random/prng.ts';
import { createGenerator, type OpGenerator } from '../workload/generators.ts';
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
  /** Made at the first operation: the workload is the simulation's, one for every client. */
  private generator: OpGenerator | null = null;

  constructor(readonly id: ProcessId, readonly home: NodeId, readonly random: Random, readonly probe = false) {
  }

  /** The next operation of this client's generator. */
  nextOp(workload: SimWorkload): ClientOp {
    this.generator ??= createGenerator(workload, { client: this.id, random: this.random });
    return this.generator.next();
  }

  /** How the operation `nextOp` gave ended, after any redirect (the cart client's write depends on its read). */
  completed(op: ClientOp, result: ClientResult): void {
    this.generator?.completed({ op, result });
  }
}
