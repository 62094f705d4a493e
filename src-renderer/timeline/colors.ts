// One color per process, the same in every view of the lab (lanes, phi lines, cluster
// cards), so that a person who has learnt "n3 is green" can read any chart at a glance.
// Nodes take the first palette (Tableau 10 without its red, which the lab keeps for
// faults); clients take a second, darker one so that they never look like nodes.

import type { ProcessId } from '../../src-node/contract/clock.ts';

const NODE_PALETTE = [
  '#4e79a7', // blue
  '#f28e2b', // orange
  '#59a14f', // green
  '#b07aa1', // purple
  '#3f9c96', // teal
  '#c9a227', // ochre
  '#ff7f9e', // pink
  '#9c755f', // brown
  '#6b6ecf', // indigo
] as const;

const CLIENT_PALETTE = ['#5b5b5b', '#8c564b', '#7f6a00', '#4d6a8a', '#6d4c7d'] as const;

/** The lab itself (faults with node `lab`) and anything unknown. */
export const LAB_COLOR = '#8a8a8a';

/** The color of a process: `n1`… from the node palette, `c1`… from the client palette. */
export function processColor(id: ProcessId): string {
  const match = /^([a-z]+)(\d+)$/i.exec(id);
  if (match === null) return id === 'lab' ? LAB_COLOR : hashedColor(id);
  const index = Number(match[2]) - 1;
  const palette = match[1]!.toLowerCase() === 'c' ? CLIENT_PALETTE : NODE_PALETTE;
  if (index < 0) return hashedColor(id);
  return palette[index % palette.length]!;
}

/** `#rrggbb` with an alpha, as an `rgba()` string for canvas and CSS. */
export function withAlpha(hex: string, alpha: number): string {
  const value = Number.parseInt(hex.slice(1, 7), 16);
  if (hex.length !== 7 || Number.isNaN(value)) return hex;
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}

function hashedColor(id: string): string {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return NODE_PALETTE[hash % NODE_PALETTE.length]!;
}

/**
 * One color per Raft term, the same in the Raft view's log cells and in the space-time
 * diagram, so that "term 4 is magenta" reads across both. A palette of its own (ColorBrewer
 * Dark2 and a blue), darker than the nodes' so that a term never passes for a process; it
 * cycles after eight terms, which is why every place that shows a term color also writes
 * its number. Term 0 (before any election) is grey.
 */
const TERM_PALETTE = [
  '#1b9e77', // teal
  '#7570b3', // violet
  '#d95f02', // orange
  '#e7298a', // magenta
  '#66a61e', // green
  '#b8860b', // dark gold
  '#a6761d', // brown
  '#1f78b4', // blue
] as const;
const TERM_ZERO_COLOR = '#9aa0a6';

export function termColor(term: number): string {
  if (!Number.isInteger(term) || term <= 0) return TERM_ZERO_COLOR;
  return TERM_PALETTE[(term - 1) % TERM_PALETTE.length]!;
}

/** Text that reads on a term's color: every term color is dark enough for white. */
export const TERM_TEXT_COLOR = '#ffffff';
