// The PBS experiment on real node processes: the lab's own clients (LabRun.clientOp, the
// path the UI's client panel and the workload take) and the run's trace, read back from the
// recorder for the observed W, A, R, S. Times are the lab's monotonic clock; "t after the
// write was acknowledged" starts when the client sees the ok, so t includes the two client
// legs on loopback (well under a millisecond; the link delays a scenario injects are between
// nodes, not on them).

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import type { LabRun } from '../lab/run.ts';
import type { ExperimentCluster } from './measure.ts';
import { LegObserver, type Leg } from './observed.ts';

/** A client of the experiment waits this long for an answer before it counts the operation as `info`. */
export const PBS_LIVE_CLIENT_TIMEOUT_MS = 5_000;
/** Events read from the trace per query. */
const PAGE_EVENTS = 5_000;

export class PbsLiveCluster implements ExperimentCluster {
  readonly nodes: readonly NodeId[];
  private readonly observer = new LegObserver();
  private lastEventId = 0;

  constructor(private readonly run: LabRun) {
    this.nodes = run.cluster.nodeIds;
  }

  now(): number {
    return this.run.now();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  async op(request: { client: string; node: NodeId; op: ClientOp }): Promise<ClientResult> {
    try {
      const outcome = await this.run.clientOp({ op: request.op, node: request.node, client: request.client, timeoutMs: PBS_LIVE_CLIENT_TIMEOUT_MS });
      return outcome.result;
    } catch (error) {
      return { type: 'info', error: (error as Error).message };
    }
  }

  /** Reads the trace from where the last call stopped: every send and receive since. */
  async legs(): Promise<Record<Leg, readonly number[]>> {
    await this.run.flush();
    for (;;) {
      const events = await this.run.store.query({ afterId: this.lastEventId, kinds: ['send', 'receive'], limit: PAGE_EVENTS });
      if (events.length === 0) break;
      this.observer.observeAll(events);
      this.lastEventId = events.at(-1)!.id;
      if (events.length < PAGE_EVENTS) break;
    }
    return this.observer.samples;
  }
}
