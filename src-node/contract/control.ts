import type { NodeId } from './clock.ts';
import type { CoreStatus } from './core.ts';
import type { ClientOp, ClientResult, Envelope } from './envelope.ts';
import type { ClockFaults, LinkFaults } from './faults.ts';
import type { TraceEvent } from './trace.ts';

/** Failure-detector settings (phi accrual, Hayashibara et al. 2004, normal model as in Akka). */
export interface PhiOptions {
  threshold: number;
  /** Heartbeat inter-arrival samples kept per peer. */
  maxSampleSize: number;
  minStdDeviationMs: number;
  acceptableHeartbeatPauseMs: number;
  /** Assumed interval before the first samples arrive. */
  firstHeartbeatEstimateMs: number;
}

/** Everything a node process needs to start; passed as JSON in the `DISTLAB_NODE_CONFIG` env var. */
export interface NodeConfig {
  id: NodeId;
  /** All node ids of the cluster, this one included, in a fixed order. */
  cluster: NodeId[];
  dataDir: string;
  /** Interface to listen on; 127.0.0.1 unless the user says otherwise. */
  host: string;
  /**
   * Port to listen on; 0 = ephemeral. A restarted node asks for its previous port so that
   * it comes back at the same address (peers' clients reconnect on their own); if that
   * port is taken it falls back to an ephemeral one and the supervisor re-sends `peers`.
   */
  port: number;
  /** The lab's epoch: labTimeMs = epochNow − runStartEpochMs. */
  runStartEpochMs: number;
  protocol: { name: string; params: Record<string, unknown> };
  heartbeatIntervalMs: number;
  failureDetector: PhiOptions;
  /** How often each node reports its phi of every peer to the trace. */
  suspicionSampleMs: number;
  /** Trace events are batched to the supervisor at this interval (a crash loses at most one batch). */
  traceFlushMs: number;
  traceBatchMax: number;
  seed: number;
  /** The first local sequence number to use (continues a restarted node's trace). */
  seqStart: number;
  /** How many times this node was restarted in this run (0 = first start). */
  restart: number;
  /** Faults in force when the process starts. */
  links: Record<NodeId, LinkFaults>;
  clock: ClockFaults;
  persistDelayMs: number;
}

/** Supervisor → node, over the process's IPC channel. */
export type ToNode =
  | { t: 'peers'; peers: { id: NodeId; url: string }[] }
  | { t: 'faults'; links: Record<NodeId, LinkFaults>; clock: ClockFaults; persistDelayMs: number }
  | { t: 'flush' }
  | { t: 'shutdown' };

/** Node → supervisor. */
export type FromNode =
  | { t: 'listening'; port: number; url: string }
  | { t: 'link'; peer: NodeId; up: boolean }
  | { t: 'events'; events: TraceEvent[] }
  | { t: 'status'; status: CoreStatus }
  | { t: 'flushed' }
  | { t: 'fatal'; message: string; stack?: string };

/** Node ↔ client (socket.io on the node's own server): a client request and its acknowledgement. */
export const CLIENT_REQUEST_EVENT = 'client-request';
export const PEER_MESSAGE_EVENT = 'peer-message';
export const PEER_HELLO_EVENT = 'peer-hello';
export const HEARTBEAT_EVENT = 'heartbeat';

/** The payload of a `client-request` envelope (envelope.type: any name, e.g. `client-request`). */
export interface ClientRequestPayload {
  requestId: string;
  op: ClientOp;
}

/** The envelope type of a node's answer to a client request. */
export const CLIENT_REPLY_TYPE = 'client-reply';

/**
 * What a node passes to a `client-request` acknowledgement: an envelope stamped with the
 * node's clocks (payload = the result), with `requestId` and `result` repeated on top for
 * convenience. A malformed request is answered with only `{ result: {type: 'fail', error} }`.
 */
export type ClientAck = Envelope<ClientResult> & { requestId: string; result: ClientResult };
