// The phi accrual failure detector (Hayashibara, Défago, Yared, Katayama 2004), with the
// normal model and the logistic approximation of its CDF that Akka uses. The book (§3,
// "Time and order", failure detectors) describes why: an accrual detector outputs a
// suspicion level instead of up/down, "this allows the application using the failure
// detector to make its own decisions about the tradeoff between accurate detection and
// early detection".
//
// What it guarantees: phi(t) is a finite, non-negative number that grows monotonically with
// the silence since the last heartbeat, for fixed history. Like every failure detector in an
// asynchronous system it is only eventually accurate: a long pause makes it suspect a live
// node, and that is a value to show, not a bug.
//
// The detector is pure: the host passes its own clock reading with every call.

import type { PhiOptions } from '../../contract/control.ts';

export const DEFAULT_PHI_OPTIONS: PhiOptions = Object.freeze({
  threshold: 8,
  maxSampleSize: 200,
  minStdDeviationMs: 100,
  acceptableHeartbeatPauseMs: 3000,
  firstHeartbeatEstimateMs: 1000,
});

/**
 * The lab's heartbeat interval. Nodes on one machine (or a LAN) exchange heartbeats ten
 * times a second, so that a crash is noticed in well under a second.
 */
export const LAB_HEARTBEAT_INTERVAL_MS = 100;

/**
 * The lab's detector settings for 100 ms heartbeats. With calm, regular heartbeats the
 * history's std-dev is below the 50 ms floor, so phi reaches 8 when
 * (t − (100 + 400)) / 50 ≈ 5.23, i.e. about 760 ms after the last heartbeat (test:
 * phi-accrual.test.ts). A jittery history (std-dev up to 90 ms) still detects within a
 * second. A 200 ms GC or scheduling hiccup makes a 300 ms gap, which is four std-devs
 * *below* the shifted mean: phi stays near 0, far from suspicion.
 */
export const LAB_PHI_OPTIONS: PhiOptions = Object.freeze({
  threshold: 8,
  maxSampleSize: 200,
  minStdDeviationMs: 50,
  acceptableHeartbeatPauseMs: 400,
  firstHeartbeatEstimateMs: LAB_HEARTBEAT_INTERVAL_MS,
});

/** phi is capped so that it always fits in JSON (no Infinity); 1e6 is "dead" by any threshold. */
export const PHI_MAX = 1e6;

/** Bounds checked by `validatePhiOptions`, so that a scenario cannot ask for absurd memory or times. */
export const PHI_LIMITS = Object.freeze({
  thresholdMax: 1000,
  maxSampleSizeMax: 10_000,
  durationMsMax: 3_600_000,
});

const OPTION_NAMES = Object.keys(DEFAULT_PHI_OPTIONS) as (keyof PhiOptions)[];

/** Validates failure-detector options from a scenario or config and fills in missing ones. */
export function validatePhiOptions(raw: unknown): PhiOptions {
  if (raw === undefined || raw === null) return { ...DEFAULT_PHI_OPTIONS };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`failure detector options must be an object, got ${describe(raw)}`);
  }
  const input = raw as Record<string, unknown>;
  for (const name of Object.keys(input)) {
    if (!(OPTION_NAMES as string[]).includes(name)) {
      throw new Error(`unknown failure detector option "${name}"; known: ${OPTION_NAMES.join(', ')}`);
    }
  }
  const options = { ...DEFAULT_PHI_OPTIONS };
  for (const name of OPTION_NAMES) {
    if (input[name] !== undefined) options[name] = checkOption(name, input[name]);
  }
  return options;
}

function checkOption(name: keyof PhiOptions, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`failure detector option ${name} must be a finite number, got ${describe(value)}`);
  }
  const [min, max, integer] = optionRange(name);
  if (value < min || value > max || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'an integer' : 'a number';
    throw new Error(`failure detector option ${name} must be ${kind} in [${min}, ${max}], got ${value}`);
  }
  return value;
}

function optionRange(name: keyof PhiOptions): [min: number, max: number, integer: boolean] {
  switch (name) {
    case 'threshold':
      return [Number.MIN_VALUE, PHI_LIMITS.thresholdMax, false];
    case 'maxSampleSize':
      return [1, PHI_LIMITS.maxSampleSizeMax, true];
    case 'minStdDeviationMs':
    case 'firstHeartbeatEstimateMs':
      // A zero std-dev would divide by zero in phi; a zero estimate would seed a zero std-dev.
      return [Number.MIN_VALUE, PHI_LIMITS.durationMsMax, false];
    case 'acceptableHeartbeatPauseMs':
      return [0, PHI_LIMITS.durationMsMax, false];
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  return String(value);
}

/**
 * phi for a silence of `elapsedMs`, given the (shifted) mean and std-dev of the intervals.
 * Akka computes -log10(e / (1 + e)) with e = exp(-a), a = y(1.5976 + 0.070566 y²); both of its
 * branches are that same expression. Written as log10(1 + exp(a)) with a stable softplus it
 * neither underflows to Infinity for long silences nor loses precision for short ones.
 */
export function phiOf(elapsedMs: number, meanMs: number, stdDeviationMs: number): number {
  const y = (elapsedMs - meanMs) / stdDeviationMs;
  const a = y * (1.5976 + 0.070566 * y * y);
  const softplus = a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a));
  const phi = softplus / Math.LN10;
  return Number.isFinite(phi) ? Math.min(phi, PHI_MAX) : PHI_MAX;
}

/** One detector per monitored peer. */
export class PhiAccrualDetector {
  readonly options: PhiOptions;
  /** Inter-arrival intervals, a ring buffer of at most `maxSampleSize` entries. */
  private readonly intervals: number[] = [];
  private next = 0;
  private meanMs = 0;
  private stdDeviationMs = 0;
  private lastHeartbeatAtMs: number | null = null;

  constructor(options: PhiOptions) {
    this.options = validatePhiOptions(options);
    // Akka's seed: two samples one quarter of the estimate either side of it, so that the
    // detector has a sensible mean and std-dev before real intervals arrive.
    const estimate = this.options.firstHeartbeatEstimateMs;
    this.record(estimate - estimate / 4);
    this.record(estimate + estimate / 4);
  }

  /**
   * The node clock's reading (ms) when the last heartbeat arrived, or null before the first.
   * `nowMs - lastHeartbeatMs` is the silence that phi judges.
   */
  get lastHeartbeatMs(): number | null {
    return this.lastHeartbeatAtMs;
  }

  /** Samples currently in the window (seed samples included until they are pushed out). */
  get sampleCount(): number {
    return this.intervals.length;
  }

  heartbeat(nowMs: number): void {
    assertTime(nowMs);
    const last = this.lastHeartbeatAtMs;
    // As in Akka, the interval that ends a suspected silence is not recorded: one long
    // outage would otherwise widen the history and slow the detection of the next one.
    // A clock stepped backwards (injected skew) gives no usable interval either.
    if (last !== null && nowMs >= last && this.isAvailable(nowMs)) this.record(nowMs - last);
    this.lastHeartbeatAtMs = nowMs;
  }

  /**
   * Credits `gapMs` during which the observer itself was not running (paused, starved of
   * CPU): that silence says nothing about the peer, so the last arrival moves forward by
   * it (never past `nowMs`) and no interval is learned from it.
   */
  forgive(gapMs: number, nowMs: number): void {
    assertTime(nowMs);
    const last = this.lastHeartbeatAtMs;
    if (last === null || !(gapMs > 0)) return;
    this.lastHeartbeatAtMs = Math.min(nowMs, last + gapMs);
  }

  phi(nowMs: number): number {
    assertTime(nowMs);
    const last = this.lastHeartbeatAtMs;
    if (last === null) return 0;
    const elapsedMs = Math.max(0, nowMs - last);
    const meanMs = this.meanMs + this.options.acceptableHeartbeatPauseMs;
    const stdDeviationMs = Math.max(this.stdDeviationMs, this.options.minStdDeviationMs);
    return phiOf(elapsedMs, meanMs, stdDeviationMs);
  }

  isAvailable(nowMs: number): boolean {
    return this.phi(nowMs) < this.options.threshold;
  }

  private record(intervalMs: number): void {
    if (this.intervals.length < this.options.maxSampleSize) {
      this.intervals.push(intervalMs);
    } else {
      this.intervals[this.next] = intervalMs;
      this.next = (this.next + 1) % this.options.maxSampleSize;
    }
    // Recomputing from the window (at most maxSampleSize values, once per heartbeat) keeps
    // the statistics exact; running sums of squares drift over a long run.
    let sum = 0;
    for (const value of this.intervals) sum += value;
    const mean = sum / this.intervals.length;
    let squares = 0;
    for (const value of this.intervals) squares += (value - mean) * (value - mean);
    this.meanMs = mean;
    this.stdDeviationMs = Math.sqrt(squares / this.intervals.length);
  }
}

function assertTime(nowMs: number): void {
  if (!Number.isFinite(nowMs)) throw new Error(`failure detector: time must be a finite number, got ${nowMs}`);
}
