// The model behind the CALM view: the program's listing with the analysis in the margin (each
// rule monotone or not, the points of order, and with coordination on whether a point of order
// still waits and for what), and every node's collections side by side, with the facts that
// not every node holds marked — the divergence the CALM theorem is about, seen directly. What
// each point of order concluded is compared the same way. Pure: no DOM, no Vue; it draws only
// from what the nodes report (CoreStatus.view, CalmView) and computes no protocol.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { CalmView, CalmViewRule } from '../../src-node/contract/core.ts';
import type { NodeView, ProcessState } from '../../src-node/contract/lab-api.ts';

const RUNNING: readonly ProcessState[] = ['up', 'recovering', 'starting'];

export type MarginMark = 'monotone' | 'non-monotone' | 'point-of-order';

export interface ListingLine {
  line: number;
  text: string;
  /** The analysis of the rule written on this line, if one is. */
  mark: MarginMark | null;
  /** What the margin says: the reasons, what a point of order reads, who still waits. */
  note: string;
  /** With coordination: nodes on which this point of order still waits. */
  waitingOn: NodeId[];
}

export interface FactChip {
  text: string;
  /** Some node that reports this collection (and runs) does not hold it. */
  differs: boolean;
}

export interface FactCell {
  node: NodeId;
  chips: FactChip[];
  count: number;
  /** The view carries only the first tuples: the count is exact, the chips are not all. */
  truncated: boolean;
}

export interface FactRow {
  /** A collection's name, or `line N` for what a point of order concluded. */
  name: string;
  kind: 'table' | 'scratch' | 'concluded';
  columns: string;
  cells: FactCell[];
  /** The nodes disagree on this row (by tuples, or by count where the view is truncated). */
  differs: boolean;
}

export interface BoardNode {
  id: NodeId;
  state: ProcessState;
  current: boolean;
  reported: boolean;
  steps: number | null;
  waiting: boolean;
  sealedInputs: string[];
  sealedChannels: string[];
  /** Per waiting point of order: what this node still waits for. */
  waitingFor: { line: number; what: string[] }[];
}

export interface CalmBoard {
  program: string | null;
  coordinate: boolean;
  confluent: boolean;
  summary: string;
  listing: ListingLine[];
  nodes: BoardNode[];
  rows: FactRow[];
  /** Rows on which the running nodes disagree. */
  differingRows: number;
}

export function calmViewOf(node: NodeView): CalmView | null {
  const view = node.status?.view;
  return view !== undefined && view.protocol === 'calm' ? view : null;
}

export const tupleText = (tuple: readonly (string | number)[]): string => `(${tuple.map((value) => (typeof value === 'number' ? String(value) : value)).join(', ')})`;

function markOf(rule: CalmViewRule): MarginMark {
  if (rule.pointOfOrder) return 'point-of-order';
  return rule.monotone ? 'monotone' : 'non-monotone';
}

function noteOf(rule: CalmViewRule, waitingOn: readonly NodeId[]): string {
  if (rule.monotone) return 'monotone';
  const reasons = rule.reasons.join(', ');
  if (!rule.pointOfOrder) return `${reasons}; reads nothing asynchronous`;
  const base = `point of order: ${reasons} over ${rule.reads.join(', ')}`;
  if (rule.coordination === null) return base;
  return waitingOn.length > 0 ? `${base} — waits on ${waitingOn.join(', ')}` : `${base} — sealed, ran`;
}

function listingOf(views: readonly { id: NodeId; view: CalmView }[]): ListingLine[] {
  const first = views[0]?.view;
  if (first === undefined) return [];
  // A program's text ends with a newline: no empty last line in the listing.
  return first.listing.replace(/\n+$/, '').split('\n').map((text, index) => {
    const line = index + 1;
    const rule = first.rules.find((candidate) => candidate.line === line);
    if (rule === undefined) return { line, text, mark: null, note: '', waitingOn: [] };
    const waitingOn = views.filter(({ view }) => view.rules.some((candidate) => candidate.line === line && candidate.coordination === 'waiting')).map(({ id }) => id);
    return { line, text, mark: markOf(rule), note: noteOf(rule, waitingOn), waitingOn };
  });
}

/** One row compared across the running nodes: a fact differs when a running, reporting node lacks it. */
function rowOf(name: string, kind: FactRow['kind'], columns: string, cells: { node: NodeId; tuples: (string | number)[][]; count: number; current: boolean }[]): FactRow {
  const current = cells.filter((cell) => cell.current);
  const truncated = (cell: { tuples: unknown[]; count: number }): boolean => cell.count > cell.tuples.length;
  const anyTruncated = current.some(truncated);
  const sets = current.map((cell) => new Set(cell.tuples.map(tupleText)));
  const differsByTuple = (text: string): boolean => !anyTruncated && sets.some((set) => !set.has(text));
  const differs = anyTruncated ? new Set(current.map((cell) => cell.count)).size > 1 : current.some((_, index) => [...sets[index]!].some(differsByTuple));
  return {
    name, kind, columns, differs,
    cells: cells.map((cell) => ({
      node: cell.node, count: cell.count, truncated: truncated(cell),
      chips: cell.tuples.map((tuple) => ({ text: tupleText(tuple), differs: cell.current && differsByTuple(tupleText(tuple)) })),
    })),
  };
}

export function buildCalmBoard(nodes: readonly NodeView[], options: { recorded?: boolean } = {}): CalmBoard {
  const reporting = nodes.flatMap((node) => {
    const view = calmViewOf(node);
    return view === null ? [] : [{ id: node.id, view, current: options.recorded === true || RUNNING.includes(node.state) }];
  });
  const first = reporting[0]?.view ?? null;
  const boardNodes: BoardNode[] = nodes.map((node) => {
    const own = reporting.find((entry) => entry.id === node.id);
    const view = own?.view;
    return {
      id: node.id, state: node.state, current: options.recorded === true || RUNNING.includes(node.state), reported: view !== undefined,
      steps: view?.steps ?? null, waiting: view?.waiting ?? false,
      sealedInputs: view?.sealedInputs ?? [], sealedChannels: view?.sealedChannels ?? [],
      waitingFor: (view?.rules ?? []).filter((rule) => rule.coordination === 'waiting').map((rule) => ({ line: rule.line, what: rule.waitingFor })),
    };
  });
  const rows: FactRow[] = [];
  for (const collection of first?.collections ?? []) {
    rows.push(rowOf(collection.name, collection.kind, collection.columns.join(', '), reporting.map(({ id, view, current }) => {
      const own = view.collections.find((candidate) => candidate.name === collection.name);
      return { node: id, tuples: own?.tuples ?? [], count: own?.count ?? 0, current };
    })));
  }
  for (const rule of (first?.rules ?? []).filter((candidate) => candidate.pointOfOrder)) {
    rows.push(rowOf(`line ${rule.line}`, 'concluded', rule.text, reporting.map(({ id, view, current }) => {
      const own = view.rules.find((candidate) => candidate.line === rule.line);
      return { node: id, tuples: own?.concluded ?? [], count: own?.concludedCount ?? 0, current };
    })));
  }
  return {
    program: first?.program ?? null,
    coordinate: first?.coordinate ?? false,
    confluent: first?.confluent ?? true,
    summary: first?.summary ?? '',
    listing: listingOf(reporting),
    nodes: boardNodes,
    rows,
    differingRows: rows.filter((row) => row.differs).length,
  };
}
