// The events of simulated time. Each names the node incarnation it belongs to where that
// matters: a timer, a disk completion or a failure-detector tick of a process that has since
// crashed finds a newer incarnation and does nothing, as a killed process's timers never fire.

import type { NodeId, ProcessId } from '../../src-node/contract/clock.ts';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import type { FaultRequest } from '../../src-node/contract/faults.ts';
import type { Stamp } from './sim-trace.ts';

/** A protocol message on the wire: its payload travels as JSON, as on a real socket. */
export interface WireMessage {
  id: string;
  source: NodeId;
  target: NodeId;
  type: string;
  payloadJson: string;
  stamp: Stamp;
}

export interface ClientRequest {
  client: ProcessId;
  requestId: string;
  /** The client's operation number: a late answer to an earlier one is ignored. */
  opNumber: number;
  op: ClientOp;
  stamp: Stamp;
}

/** Who asked for a fault: a scenario's schedule, the random nemesis, or the liveness phase. */
export type FaultSource = 'scenario' | 'nemesis' | 'liveness';

/** Inputs a paused process cannot take: they wait in its inbox until it resumes. */
export type NodeInputEvent =
  | { kind: 'deliver'; message: WireMessage }
  | { kind: 'heartbeat'; target: NodeId; source: NodeId }
  | { kind: 'timer'; node: NodeId; incarnation: number; timer: string; token: number }
  | { kind: 'request'; node: NodeId; request: ClientRequest };

export type SimEvent =
  | NodeInputEvent
  | { kind: 'disk'; node: NodeId; incarnation: number }
  | { kind: 'beat'; node: NodeId; incarnation: number }
  | { kind: 'sample'; node: NodeId; incarnation: number }
  | { kind: 'response'; client: ProcessId; opNumber: number; node: NodeId; result: ClientResult; stamp: Stamp | null }
  | { kind: 'client-next'; client: ProcessId }
  | { kind: 'client-timeout'; client: ProcessId; opNumber: number }
  | { kind: 'fault'; request: FaultRequest; by: FaultSource }
  | { kind: 'nemesis' }
  | { kind: 'heal' }
  | { kind: 'liveness-check' };
