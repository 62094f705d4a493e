import type { NodeId } from './clock.ts';

/** Faults on one directed link (source → target), applied by the source's fault filter. */
export interface LinkFaults {
  /** The link is cut: every message is dropped (a partition, or one direction of it). */
  cut: boolean;
  lossPct: number;
  delayMs: number;
  jitterMs: number;
  duplicatePct: number;
  /** Share of messages held back by an extra random delay so that later ones overtake them. */
  reorderPct: number;
}

export const HEALTHY_LINK: Readonly<LinkFaults> = Object.freeze({
  cut: false,
  lossPct: 0,
  delayMs: 0,
  jitterMs: 0,
  duplicatePct: 0,
  reorderPct: 0,
});

/** A node's clock relative to the lab's: nodeTime = labTime × (1 + driftPpm / 10⁶) + skewMs. */
export interface ClockFaults {
  skewMs: number;
  driftPpm: number;
}

export const TRUE_CLOCK: Readonly<ClockFaults> = Object.freeze({ skewMs: 0, driftPpm: 0 });

/** A partition: nodes in different groups cannot talk. `oneWay`: only messages from groups[0] to the others are cut. */
export interface PartitionSpec {
  groups: NodeId[][];
  oneWay: boolean;
}

/** Every fault the lab can be asked for; each becomes a `fault` event in the trace with who asked. */
export type FaultRequest =
  | { kind: 'crash'; node: NodeId }
  | { kind: 'restart'; node: NodeId }
  | { kind: 'pause'; node: NodeId }
  | { kind: 'resume'; node: NodeId }
  | { kind: 'stop'; node: NodeId }
  | { kind: 'wipe'; node: NodeId }
  | { kind: 'partition'; spec: PartitionSpec }
  | { kind: 'heal' }
  | { kind: 'link'; source: NodeId; target: NodeId; faults: Partial<LinkFaults> }
  | { kind: 'clock'; node: NodeId; clock: Partial<ClockFaults> }
  | { kind: 'slow-disk'; node: NodeId; persistDelayMs: number };

/** Who asked for a fault: the UI (a person), a scenario's schedule, a scenario's random nemesis, the CLI, a test. */
export type FaultRequester = 'ui' | 'scenario' | 'nemesis' | 'cli' | 'test' | 'api';
