// Heartbeats and the phi-accrual failure detector (Hayashibara et al. 2004; the book, §4
// on failure detectors: accuracy versus completeness, an unreliable oracle that suspects).
//
// Every `heartbeatIntervalMs` this node sends a heartbeat to each peer (through the fault
// filter, so cuts, loss and delay hit heartbeats too) and checks its phi of each peer;
// when phi crosses the threshold, up or down, the core is told (`suspicion` input).
//
// Time here is the lab's monotonic clock, never the node's skewed clock: a failure
// detector measures durations between arrivals on the local clock, and a skewed or
// drifting wall clock — or a skew changed by the lab at run time — would read as a burst
// or a silence of heartbeats that never happened.
//
// A paused process (SIGSTOP, a long GC, a blocked event loop, a machine starved of CPU)
// wakes with every peer silent for the length of the pause, although it was this node
// that was away. When a check runs much later than scheduled, the monitor credits every
// peer with the time this process was not running (`forgive`): silence it could not
// listen to says nothing about the peer. History is kept, so a crash is still detected on
// a loaded machine, only later by the time the observer itself lost.

import type { NodeId } from '../contract/clock.ts';
import type { PhiOptions } from '../contract/control.ts';
import { PhiAccrualDetector } from '../protocols/failure-detector/phi-accrual.ts';
import { PHI_REPORT_MAX } from './limits.ts';

export interface FailureMonitorOptions {
  peers: readonly NodeId[];
  detector: PhiOptions;
  heartbeatIntervalMs: number;
  suspicionSampleMs: number;
  /** Monotonic time in ms (the lab's clock). */
  nowMs: () => number;
  sendHeartbeat(peer: NodeId): void;
  onSuspicion(peer: NodeId, suspected: boolean): void;
  onSample(phi: Record<NodeId, number>, suspected: NodeId[]): void;
  onPause(gapMs: number): void;
}

/** A check this late (beyond its schedule) means this process itself was not running. */
export function pauseGapMs(heartbeatIntervalMs: number): number {
  return Math.max(3 * heartbeatIntervalMs, 250);
}

export class FailureMonitor {
  private readonly detectors: Map<NodeId, PhiAccrualDetector>;
  private readonly suspected = new Set<NodeId>();
  /** Peers heard from at least once: a suspicion is cleared only by a real heartbeat. */
  private readonly heard = new Set<NodeId>();
  private timers: NodeJS.Timeout[] = [];
  private lastCheckMs = 0;

  constructor(private readonly options: FailureMonitorOptions) {
    this.detectors = new Map(options.peers.map((peer) => [peer, new PhiAccrualDetector(options.detector)]));
  }

  /** Starts heartbeats and checks; called once the node knows where its peers are. */
  start(): void {
    if (this.timers.length > 0) return;
    const nowMs = this.options.nowMs();
    // A peer we never hear from must become suspected too: count the start as its first beat.
    for (const [peer, detector] of this.detectors) if (!this.heard.has(peer)) detector.heartbeat(nowMs);
    this.lastCheckMs = nowMs;
    this.timers = [
      setInterval(() => this.beat(), this.options.heartbeatIntervalMs),
      setInterval(() => this.sample(), this.options.suspicionSampleMs),
    ];
  }

  heartbeatFrom(peer: NodeId): void {
    const detector = this.detectors.get(peer);
    if (detector === undefined) return;
    detector.heartbeat(this.options.nowMs());
    this.heard.add(peer);
  }

  phiOf(peer: NodeId, nowMs = this.options.nowMs()): number {
    return this.detectors.get(peer)?.phi(nowMs) ?? 0;
  }

  isSuspected(peer: NodeId): boolean {
    return this.suspected.has(peer);
  }

  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  private beat(): void {
    for (const peer of this.options.peers) this.options.sendHeartbeat(peer);
    this.check();
  }

  private check(): void {
    const nowMs = this.options.nowMs();
    const lateMs = nowMs - this.lastCheckMs - this.options.heartbeatIntervalMs;
    this.lastCheckMs = nowMs;
    if (lateMs > pauseGapMs(this.options.heartbeatIntervalMs)) {
      for (const detector of this.detectors.values()) detector.forgive(lateMs, nowMs);
      this.options.onPause(lateMs);
    }
    for (const peer of this.options.peers) {
      const over = this.phiOf(peer, nowMs) >= this.options.detector.threshold;
      if (over && !this.suspected.has(peer)) {
        this.suspected.add(peer);
        this.options.onSuspicion(peer, true);
      } else if (!over && this.suspected.has(peer) && this.heard.has(peer)) {
        this.suspected.delete(peer);
        this.options.onSuspicion(peer, false);
      }
    }
  }

  private sample(): void {
    const nowMs = this.options.nowMs();
    // Catch a pause first, so that a sample never reports the phi of our own absence.
    if (nowMs - this.lastCheckMs - this.options.heartbeatIntervalMs > pauseGapMs(this.options.heartbeatIntervalMs)) {
      this.check();
    }
    const phi: Record<NodeId, number> = {};
    for (const peer of this.options.peers) {
      phi[peer] = Math.round(Math.min(this.phiOf(peer, nowMs), PHI_REPORT_MAX) * 1000) / 1000;
    }
    this.options.onSample(phi, [...this.suspected]);
  }
}
