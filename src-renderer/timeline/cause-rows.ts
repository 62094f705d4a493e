// The strip under a phi chart (and over the history) says what the lab did while the lines moved: which peer
// crashed, which was paused, which link into the observer lost messages, when the
// cluster was partitioned. The failure detector cannot tell a crash from a pause or a
// lossy link (that is the lesson); the strip is the lab's ground truth to compare with.
// One row per cause, so that labels never sit on top of each other. Pure: no DOM.

import type { ProcessId } from '../../src-node/contract/clock.ts';
import type { PartitionBand, ProcessInterval } from './fault-intervals.ts';
import type { LinkSpan } from './link-spans.ts';

/** Each kind has its own look in the strip (solid, hatched, dotted, dashed). */
export type CauseKind = 'crashed' | 'paused' | 'link' | 'partition';

export interface CauseSegment {
  kind: CauseKind;
  /** `n2 crashed`, `n3 paused`, `n4→n5 loss 30%`, `partition`. */
  label: string;
  fromMs: number;
  /** null while it lasts. */
  toMs: number | null;
}

export interface CauseRow {
  key: string;
  /** The process whose color marks the row (the peer, or a link's source); null for a partition. */
  process: ProcessId | null;
  segments: CauseSegment[];
}

/** More rows than this would squeeze the chart; the rest are counted in `hidden`. */
export const CAUSE_ROWS_MAX = 3;

/** What an outage or pause is called in the strip and on the chart. */
export function intervalWord(interval: Pick<ProcessInterval, 'kind' | 'cause'>): string {
  if (interval.kind === 'paused') return 'paused';
  return interval.cause === 'crash' ? 'crashed' : interval.cause === 'wipe' ? 'disk lost' : 'stopped';
}

function overlaps(fromMs: number, toMs: number | null, window: { fromMs: number; toMs: number }): boolean {
  return fromMs <= window.toMs && (toMs === null || toMs >= window.fromMs);
}

/** The rows of causes visible in [fromMs, toMs]: peers' outages and pauses, links into the observer, partitions. */
export function causeRows(options: {
  peerIntervals: readonly ProcessInterval[];
  links: readonly LinkSpan[];
  partitions: readonly PartitionBand[];
  fromMs: number;
  toMs: number;
  maxRows?: number;
}): { rows: CauseRow[]; hidden: number } {
  const window = { fromMs: options.fromMs, toMs: options.toMs };
  const rows = new Map<string, CauseRow>();
  const rowOf = (key: string, process: ProcessId | null): CauseRow => {
    let row = rows.get(key);
    if (row === undefined) rows.set(key, (row = { key, process, segments: [] }));
    return row;
  };
  for (const interval of options.peerIntervals) {
    const toMs = interval.end?.labTimeMs ?? null;
    if (!overlaps(interval.start.labTimeMs, toMs, window)) continue;
    const word = intervalWord(interval);
    rowOf(`process:${interval.process}`, interval.process).segments.push({
      kind: interval.kind === 'paused' ? 'paused' : 'crashed',
      label: `${interval.process} ${word}`,
      fromMs: interval.start.labTimeMs,
      toMs,
    });
  }
  for (const span of options.links) {
    if (!overlaps(span.startMs, span.endMs, window)) continue;
    rowOf(`link:${span.source}>${span.target}`, span.source).segments.push({
      kind: 'link',
      label: `${span.source}→${span.target} ${span.label}`,
      fromMs: span.startMs,
      toMs: span.endMs,
    });
  }
  for (const band of options.partitions) {
    const toMs = band.end?.labTimeMs ?? null;
    if (!overlaps(band.start.labTimeMs, toMs, window)) continue;
    rowOf('partition', null).segments.push({ kind: 'partition', label: 'partition', fromMs: band.start.labTimeMs, toMs });
  }
  const all = [...rows.values()];
  const maxRows = options.maxRows ?? CAUSE_ROWS_MAX;
  return { rows: all.slice(0, maxRows), hidden: Math.max(0, all.length - maxRows) };
}
