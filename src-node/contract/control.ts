import type { NodeId } from './clock.ts';
import type { CoreStatus } from './core.ts';
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
