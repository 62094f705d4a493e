// Checks of a real run that need more than the client history: split brain (roles over
// time) and failure detection (suspicions against faults). Each answers pass, fail or
// unknown and says why; a scenario says which answer it expects (a lesson about split
// brain expects to see it). Checks over histories live in src-main/checkers/.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { FaultRequest } from '../../src-node/contract/faults.ts';
import type { CompletedOp } from '../workload/client.ts';
import type { FaultSample, NodeSample, SuspicionSample } from '../lab/observations.ts';

export type Verdict = 'pass' | 'fail' | 'unknown';

export interface CheckResult {
  kind: string;
  verdict: Verdict;
  expect: 'pass' | 'fail' | 'either';
  /** The verdict is what the scenario expected. */
  ok: boolean;
  summary: string;
  details: unknown[];
}

export function judged(kind: string, expect: CheckResult['expect'], verdict: Verdict, summary: string, details: unknown[] = []): CheckResult {
  const ok = verdict !== 'unknown' && (expect === 'either' || verdict === expect);
  return { kind, verdict, expect, ok, summary, details };
}

export interface SplitBrainWindow {
  fromMs: number;
  toMs: number;
  primaries: NodeId[];
  /** Writes acknowledged by each primary inside the window. */
  acked: Record<NodeId, string[]>;
}

/**
 * Split brain: two nodes acting as primary at the same time, each acknowledging writes.
 * Roles come from the nodes' own reports; a primary that is down does not count.
 */
export function checkSplitBrain(samples: readonly NodeSample[], operations: readonly CompletedOp[], endMs: number): { verdict: Verdict; windows: SplitBrainWindow[]; summary: string } {
  const windows: SplitBrainWindow[] = [];
  const current = new Map<NodeId, NodeSample>();
  const ordered = [...samples].sort((a, b) => a.atMs - b.atMs);
  for (let index = 0; index < ordered.length; index += 1) {
    const sample = ordered[index] as NodeSample;
    current.set(sample.node, sample);
    const next = ordered[index + 1];
    const toMs = next ? next.atMs : endMs;
    if (next && next.atMs === sample.atMs) continue;
    const primaries = [...current.values()]
      .filter((node) => node.role === 'primary' && (node.state === 'up' || node.state === 'paused'))
      .map((node) => node.node)
      .sort();
    if (primaries.length < 2 || toMs <= sample.atMs) continue;
    const acked: Record<NodeId, string[]> = {};
    for (const primary of primaries) {
      acked[primary] = operations
        .filter((op) => op.node === primary && op.op.f === 'put' && op.result.type === 'ok'
          && op.completedAtMs >= sample.atMs && op.completedAtMs <= toMs)
        .map((op) => op.opId);
    }
    const writers = primaries.filter((primary) => (acked[primary]?.length ?? 0) > 0);
    if (writers.length >= 2) windows.push({ fromMs: sample.atMs, toMs, primaries, acked });
  }
  const summary = windows.length > 0
    ? `split brain: ${windows.map((window) => `${window.primaries.join(' and ')} both primary and acknowledging writes from ${Math.round(window.fromMs)} to ${Math.round(window.toMs)} ms`).join('; ')}`
    : 'never two primaries acknowledging writes at the same time';
  return { verdict: windows.length > 0 ? 'fail' : 'pass', windows, summary };
}

export interface SuspicionProblem {
  problem: 'undetected' | 'false-suspicion';
  observer: NodeId;
  peer: NodeId;
  atMs: number;
}

/**
 * Failure detection, both ways: every node that stays up suspects a crashed, stopped or
 * paused node within `withinMs`; and no node suspects a peer that was up and reachable
 * (a lossy but connected link must not look like a crash). A suspicion is explained when,
 * within `withinMs` before it, the peer or the observer changed state or was hit by a
 * fault, or a partition or cut separated them.
 */
export function checkSuspicion(input: {
  faults: readonly FaultSample[];
  samples: readonly NodeSample[];
  suspicions: readonly SuspicionSample[];
  nodes: readonly NodeId[];
  withinMs: number;
  endMs: number;
}): { verdict: Verdict; problems: SuspicionProblem[]; summary: string; detectionMs: number[] } {
  const problems: SuspicionProblem[] = [];
  const detectionMs: number[] = [];
  for (const fault of input.faults) {
    const request = fault.request;
    if (request.kind !== 'crash' && request.kind !== 'stop' && request.kind !== 'pause') continue;
    const deadline = fault.atMs + input.withinMs;
    if (deadline > input.endMs) continue;
    const cleared = input.faults.find((later) => later.atMs > fault.atMs && later.atMs < deadline
      && (later.request.kind === 'restart' || later.request.kind === 'resume') && 'node' in later.request && later.request.node === request.node);
    if (cleared) continue;
    for (const observer of input.nodes) {
      if (observer === request.node || !stayedUp(input.samples, observer, fault.atMs, deadline)) continue;
      const seen = input.suspicions.find((sample) => sample.observer === observer && sample.atMs >= fault.atMs
        && sample.atMs <= deadline && sample.suspected.includes(request.node));
      if (seen) detectionMs.push(seen.atMs - fault.atMs);
      else problems.push({ problem: 'undetected', observer, peer: request.node, atMs: fault.atMs });
    }
  }
  for (const sample of input.suspicions) {
    for (const peer of sample.suspected) {
      if (!explained(input, sample.observer, peer, sample.atMs)) {
        problems.push({ problem: 'false-suspicion', observer: sample.observer, peer, atMs: sample.atMs });
      }
    }
  }
  const undetected = problems.filter((problem) => problem.problem === 'undetected').length;
  const falseSuspicions = problems.length - undetected;
  const summary = problems.length === 0
    ? `every crash or pause detected by every live node (${detectionMs.length} detections, slowest ${Math.round(Math.max(0, ...detectionMs))} ms); no false suspicion`
    : `${undetected} missed detection(s), ${falseSuspicions} false suspicion sample(s)`;
  return { verdict: problems.length === 0 ? 'pass' : 'fail', problems: problems.slice(0, 50), summary, detectionMs };
}

function stateAt(samples: readonly NodeSample[], node: NodeId, atMs: number): NodeSample['state'] | null {
  let state: NodeSample['state'] | null = null;
  for (const sample of samples) {
    if (sample.atMs > atMs) break;
    if (sample.node === node) state = sample.state;
  }
  return state;
}

function stayedUp(samples: readonly NodeSample[], node: NodeId, fromMs: number, toMs: number): boolean {
  if (stateAt(samples, node, fromMs) !== 'up') return false;
  return !samples.some((sample) => sample.node === node && sample.atMs > fromMs && sample.atMs <= toMs && sample.state !== 'up');
}

function explained(input: Parameters<typeof checkSuspicion>[0], observer: NodeId, peer: NodeId, atMs: number): boolean {
  const fromMs = atMs - input.withinMs;
  const touched = (node: NodeId): boolean => stateAt(input.samples, node, atMs) !== 'up'
    || input.samples.some((sample) => sample.node === node && sample.atMs >= fromMs && sample.atMs <= atMs && sample.state !== 'up')
    || stateAt(input.samples, node, fromMs) !== 'up';
  if (touched(peer) || touched(observer)) return true;
  return input.faults.some((fault) => fault.atMs <= atMs && (fault.atMs >= fromMs || isStanding(fault.request))
    && separates(fault.request, observer, peer));
}

/** Faults whose effect lasts until undone (a cut), as opposed to events of a moment. */
function isStanding(request: FaultRequest): boolean {
  return request.kind === 'partition' || (request.kind === 'link' && request.faults.cut === true);
}

function separates(request: FaultRequest, observer: NodeId, peer: NodeId): boolean {
  switch (request.kind) {
    case 'partition': case 'heal': return true;
    case 'link': return request.faults.cut === true && request.source === peer && request.target === observer;
    case 'clock': case 'slow-disk': return false;
    default: return request.node === observer || request.node === peer;
  }
}
