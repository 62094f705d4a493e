// The PBS experiment on real node processes: the lab's own clients (LabRun.clientOp, the
// path the UI's client panel and the workload take) and the run's trace, read back from the
// recorder for the observed W, A, R, S and the client operations' times at their
// coordinators. Times are the lab's monotonic clock, one for every process of the run (the
// client's ok never precedes its coordinator's reply, nor the coordinator's receive the
// client's invoke: measured, the clocks agree to 0.1 ms). "t after the write was acknowledged"
// starts when the client sees the ok, so the read reaches its coordinator later than t after
// the commit by the client's legs — no injected delay is on them, but on a loaded machine
// they take 10 ms on average, with a tail of 100 ms and more: measure.ts adds that lag to the
// prediction.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import type { LabRun } from '../lab/run.ts';
import type { ExperimentCluster } from './measure.ts';
import { LegObserver } from './observed.ts';

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

  /** Reads the trace from where the last call stopped: every send, receive and client invoke since. */
  async observed(): Promise<LegObserver> {
    await this.run.flush();
    for (;;) {
      const events = await this.run.store.query({ afterId: this.lastEventId, kinds: ['send', 'receive', 'invoke'], limit: PAGE_EVENTS });
      if (events.length === 0) break;
      this.observer.observeAll(events);
      this.lastEventId = events.at(-1)!.id;
      if (events.length < PAGE_EVENTS) break;
    }
    return this.observer;
  }
}
