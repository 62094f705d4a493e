// When each directed link was faulty, from the trace's `link` and `heal` faults. A lossy
// link has no outage to shade; these spans are what explain a saw-tooth of phi. Pure.

import type { ProcessId } from '../../src-node/contract/clock.ts';
import { HEALTHY_LINK, type LinkFaults } from '../../src-node/contract/faults.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';
import { faultRequestOf } from './fault-intervals.ts';

/**
 * A stretch of time during which a directed link was faulty (lossy, slow, cut…), from
 * the `link` fault that made it so to the one that made it healthy again (null: still).
 * A lossy link has no outage to shade; this is what explains its saw-tooth.
 */
export interface LinkSpan {
  source: ProcessId;
  target: ProcessId;
  /** `loss 30%`, `cut`, `delay 200 ms`… */
  label: string;
  startMs: number;
  endMs: number | null;
}

/** A link's faults in a few words; empty when it is healthy. */
export function describeLinkFaults(faults: LinkFaults): string {
  const parts: string[] = [];
  if (faults.cut) parts.push('cut');
  if (faults.lossPct > 0) parts.push(`loss ${faults.lossPct}%`);
  if (faults.delayMs > 0 || faults.jitterMs > 0) parts.push(`delay ${faults.delayMs}${faults.jitterMs > 0 ? `±${faults.jitterMs}` : ''} ms`);
  if (faults.duplicatePct > 0) parts.push(`dup ${faults.duplicatePct}%`);
  if (faults.reorderPct > 0) parts.push(`reorder ${faults.reorderPct}%`);
  return parts.join(', ');
}

/** Follows `link` and `heal` faults (heal uncuts links but keeps their loss, as the lab does). */
export class LinkFaultTimeline {
  readonly spans: LinkSpan[] = [];
  private readonly state = new Map<string, LinkFaults>();
  private readonly open = new Map<string, LinkSpan>();

  ingest(event: StoredEvent): void {
    const request = faultRequestOf(event);
    if (request?.kind === 'link') {
      const key = `${request.source}>${request.target}`;
      this.set(key, request.source, request.target, { ...(this.state.get(key) ?? HEALTHY_LINK), ...request.faults }, event.labTimeMs);
    } else if (request?.kind === 'heal') {
      for (const [key, faults] of this.state) {
        if (!faults.cut) continue;
        const [source, target] = key.split('>') as [string, string];
        this.set(key, source, target, { ...faults, cut: false }, event.labTimeMs);
      }
    }
  }

  private set(key: string, source: ProcessId, target: ProcessId, faults: LinkFaults, atMs: number): void {
    this.state.set(key, faults);
    const label = describeLinkFaults(faults);
    const current = this.open.get(key);
    if (current !== undefined && current.label === label) return;
    if (current !== undefined) {
      current.endMs = atMs;
      this.open.delete(key);
    }
    if (label === '') return;
    const span: LinkSpan = { source, target, label, startMs: atMs, endMs: null };
    this.spans.push(span);
    this.open.set(key, span);
  }
}
