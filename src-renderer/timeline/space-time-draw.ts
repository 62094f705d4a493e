// Paints the space-time diagram on a 2D canvas, in CSS pixels. It draws only what lies
// in the view's window and batches strokes by style, so a frame costs what is on screen,
// not what is in the trace. All decisions about what exists live in space-time-layout.ts;
// this file only decides how it looks.

import type { ProcessId } from '../../src-node/contract/clock.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';
import type { CanvasTheme } from './canvas-theme.ts';
import { processColor, termColor, withAlpha } from './colors.ts';
import { eventLabel } from './event-labels.ts';
import { partitionGroups, partitionLabel, type AxisPoint } from './fault-intervals.ts';
import {
  axisValue, laneEvents, laneWindow, pointValue, visibleMessages,
  type CausalRelation, type MessageEdge, type SpaceTimeLayout,
} from './space-time-layout.ts';
import { formatTick, niceTicks, type TimeView } from './space-time-view.ts';

export const GUTTER_PX = 84;
export const AXIS_PX = 30;
const BOTTOM_PX = 10;
const LANE_HEIGHT_MIN_PX = 30;
const LANE_HEIGHT_MAX_PX = 110;
/** Above these counts of visible messages, arrowheads and then labels are left out. */
const MAX_EDGES_WITH_HEADS = 3000;
const MAX_EDGES_WITH_LABELS = 300;
/** Zoomed far out, arrows merge into a wash; drawing a sample of them looks the same and stays fast. */
const MAX_EDGES_DRAWN = 2500;

export interface LanePlace {
  process: ProcessId;
  y: number;
}

export interface Scene {
  context: CanvasRenderingContext2D;
  theme: CanvasTheme;
  layout: SpaceTimeLayout;
  view: TimeView;
  width: number;
  height: number;
  lanes: LanePlace[];
  laneHeight: number;
  /** How each event relates to the selection; null when nothing is selected. */
  relationOf: ((event: StoredEvent) => CausalRelation) | null;
  selected: StoredEvent | null;
  /** A Raft run: lanes, events and messages take the color of their term (term-timeline.ts). */
  termColors?: boolean;
}

/** Gray for an event of a Raft run whose term the trace window has not told yet. */
const UNKNOWN_TERM_COLOR = '#a0a6ad';

/** The color an event is drawn in: its process's, or in a Raft run its term's. */
function eventColor(scene: Scene, event: StoredEvent): string {
  if (scene.termColors !== true || !scene.layout.terms.changes.has(event.node)) return processColor(event.node);
  const term = scene.layout.terms.termOf(event);
  return term === null ? UNKNOWN_TERM_COLOR : termColor(term);
}

/** Lanes share the height between the axis and the bottom, within readable limits. */
export function placeLanes(processes: readonly ProcessId[], height: number): { lanes: LanePlace[]; laneHeight: number } {
  const available = Math.max(1, height - AXIS_PX - BOTTOM_PX);
  const laneHeight = Math.min(LANE_HEIGHT_MAX_PX, Math.max(LANE_HEIGHT_MIN_PX, available / Math.max(1, processes.length)));
  const lanes = processes.map((process, index) => ({ process, y: AXIS_PX + laneHeight * (index + 0.5) }));
  return { lanes, laneHeight };
}

function xOf(scene: Scene, value: number): number {
  return GUTTER_PX + (value - scene.view.start) * scene.view.pxPerUnit;
}

function windowOf(scene: Scene): { from: number; to: number } {
  const { start, pxPerUnit } = scene.view;
  return { from: start - 12 / pxPerUnit, to: start + (scene.width - GUTTER_PX + 12) / pxPerUnit };
}

function font(scene: Scene, sizePx: number, weight = 400): string {
  return `${weight} ${sizePx}px ${scene.theme.fontFamily}`;
}

export function drawSpaceTime(scene: Scene): void {
  const { context, width, height, theme } = scene;
  context.fillStyle = theme.background;
  context.fillRect(0, 0, width, height);
  context.save();
  context.beginPath();
  context.rect(GUTTER_PX, 0, width - GUTTER_PX, height);
  context.clip();
  drawAxis(scene);
  drawPartitions(scene);
  drawLaneLines(scene);
  drawProcessIntervals(scene);
  drawSuspicions(scene);
  drawMessages(scene);
  drawEvents(scene);
  drawFaultMarkers(scene);
  context.restore();
  drawGutter(scene);
}

function drawAxis(scene: Scene): void {
  const { context, theme, view } = scene;
  const { from, to } = windowOf(scene);
  const { step, values } = niceTicks(from, to, Math.max(2, Math.floor((scene.width - GUTTER_PX) / 120)));
  context.font = font(scene, 12);
  context.textBaseline = 'middle';
  context.textAlign = 'center';
  context.lineWidth = 1;
  for (const value of values) {
    const x = Math.round(xOf(scene, value)) + 0.5;
    context.strokeStyle = theme.grid;
    context.beginPath();
    context.moveTo(x, AXIS_PX - 6);
    context.lineTo(x, scene.height);
    context.stroke();
    context.fillStyle = theme.mutedText;
    const text = formatTick(value, view.axis, step);
    const half = context.measureText(text).width / 2 + 2;
    context.fillText(text, Math.min(scene.width - half, Math.max(GUTTER_PX + half, x)), AXIS_PX / 2 - 2);
  }
  context.textAlign = 'left';
}

function latestValue(scene: Scene): number {
  return scene.layout.extent[scene.view.axis].max;
}

function spanX(scene: Scene, start: AxisPoint, end: AxisPoint | null): [number, number] {
  const axis = scene.view.axis;
  const x0 = xOf(scene, pointValue(start, axis));
  const x1 = end === null ? xOf(scene, Math.max(latestValue(scene), pointValue(start, axis))) : xOf(scene, pointValue(end, axis));
  return [x0, Math.max(x0, x1)];
}

function visible(scene: Scene, x0: number, x1: number): boolean {
  return x1 >= GUTTER_PX - 40 && x0 <= scene.width + 40;
}

function drawPartitions(scene: Scene): void {
  const { context, theme, laneHeight } = scene;
  for (const band of scene.layout.faults.partitions) {
    const [x0, x1] = spanX(scene, band.start, band.end);
    if (!visible(scene, x0, x1)) continue;
    const groups = partitionGroups(band.spec);
    scene.lanes.forEach((lane, index) => {
      const group = groups.get(lane.process);
      if (group === undefined) return;
      context.fillStyle = withAlpha(theme.groups[group % theme.groups.length] ?? theme.past, 0.09);
      context.fillRect(x0, lane.y - laneHeight / 2, x1 - x0, laneHeight);
      const next = scene.lanes[index + 1];
      const nextGroup = next === undefined ? undefined : groups.get(next.process);
      if (nextGroup !== undefined && nextGroup !== group) drawCut(scene, x0, x1, lane.y + laneHeight / 2);
    });
    context.strokeStyle = withAlpha(theme.fault, 0.5);
    context.setLineDash([4, 4]);
    context.lineWidth = 1.5;
    context.beginPath();
    for (const x of band.end === null ? [x0] : [x0, x1]) {
      context.moveTo(x, AXIS_PX);
      context.lineTo(x, scene.height);
    }
    context.stroke();
    context.setLineDash([]);
    context.font = font(scene, 12, 600);
    context.fillStyle = theme.fault;
    context.fillText(`partition ${partitionLabel(band.spec)}`, Math.max(x0, GUTTER_PX) + 6, AXIS_PX + 9);
  }
}

/** The wall between two lanes in different partition groups. */
function drawCut(scene: Scene, x0: number, x1: number, y: number): void {
  const { context, theme } = scene;
  context.strokeStyle = withAlpha(theme.fault, 0.75);
  context.lineWidth = 2.5;
  context.setLineDash([10, 6]);
  context.beginPath();
  context.moveTo(x0, y);
  context.lineTo(x1, y);
  context.stroke();
  context.setLineDash([]);
}

function drawLaneLines(scene: Scene): void {
  const { context } = scene;
  context.lineWidth = 2;
  for (const lane of scene.lanes) {
    context.strokeStyle = withAlpha(processColor(lane.process), 0.5);
    context.beginPath();
    context.moveTo(GUTTER_PX, lane.y);
    context.lineTo(scene.width, lane.y);
    context.stroke();
  }
  if (scene.termColors === true) for (const lane of scene.lanes) drawTermBands(scene, lane);
}

/** A Raft node's lane as a ribbon in the color of its term, with the term written where it starts. */
function drawTermBands(scene: Scene, lane: LanePlace): void {
  const changes = scene.layout.terms.changes.get(lane.process);
  if (changes === undefined) return;
  const { context, view } = scene;
  const end = Math.max(latestValue(scene), view.start + (scene.width - GUTTER_PX) / view.pxPerUnit);
  const value = (change: (typeof changes)[number]): number => (view.axis === 'lab' ? change.labTimeMs : change.lamport);
  let labelRight = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i]!;
    const next = changes[i + 1];
    const x0 = xOf(scene, value(change));
    const x1 = xOf(scene, next === undefined ? end : Math.max(value(change), value(next)));
    if (!visible(scene, x0, x1)) continue;
    const color = termColor(change.term);
    context.fillStyle = withAlpha(color, 0.85);
    context.fillRect(x0, lane.y - 2.5, Math.max(1, x1 - x0), 5);
    const labelX = Math.max(x0, GUTTER_PX) + 4;
    if (x1 - labelX > 46 && labelX > labelRight) {
      labelRight = labelX + labelAt(scene, `term ${change.term}`, labelX, lane.y + 12, color, 11) + 8;
    }
  }
}

let hatchCache: { color: string; pattern: CanvasPattern | null } | null = null;

function hatchPattern(context: CanvasRenderingContext2D, color: string): CanvasPattern | null {
  if (hatchCache?.color === color) return hatchCache.pattern;
  const tile = document.createElement('canvas');
  tile.width = 10;
  tile.height = 10;
  const tileContext = tile.getContext('2d');
  if (tileContext === null) return null;
  tileContext.strokeStyle = withAlpha(color, 0.55);
  tileContext.lineWidth = 1.5;
  tileContext.beginPath();
  tileContext.moveTo(-2, 12);
  tileContext.lineTo(12, -2);
  tileContext.moveTo(-2, 2);
  tileContext.lineTo(2, -2);
  tileContext.moveTo(8, 12);
  tileContext.lineTo(12, 8);
  tileContext.stroke();
  hatchCache = { color, pattern: context.createPattern(tile, 'repeat') };
  return hatchCache.pattern;
}

const DOWN_LABELS = { crash: 'crashed', stop: 'stopped', wipe: 'disk lost' } as const;

function drawProcessIntervals(scene: Scene): void {
  const { context, theme, laneHeight } = scene;
  const laneY = new Map(scene.lanes.map((lane) => [lane.process, lane.y]));
  for (const interval of scene.layout.faults.intervals) {
    const y = laneY.get(interval.process);
    const [x0, x1] = spanX(scene, interval.start, interval.end);
    if (y === undefined || !visible(scene, x0, x1)) continue;
    const half = laneHeight * 0.3;
    if (interval.kind === 'paused') {
      context.fillStyle = hatchPattern(context, theme.warn) ?? withAlpha(theme.warn, 0.2);
      context.fillRect(x0, y - half, x1 - x0, 2 * half);
      context.strokeStyle = theme.warn;
      context.lineWidth = 1.5;
      context.strokeRect(x0, y - half, x1 - x0, 2 * half);
      labelAt(scene, 'paused', x0 + 6, y - half - 7, theme.warn);
      continue;
    }
    // The lane goes dead: blank it, tint it, and mark where the process died.
    context.fillStyle = theme.background;
    context.fillRect(x0, y - 2, x1 - x0, 4);
    context.fillStyle = withAlpha(theme.fault, 0.07);
    context.fillRect(x0, y - half, x1 - x0, 2 * half);
    context.strokeStyle = withAlpha(theme.fault, 0.35);
    context.lineWidth = 1;
    context.setLineDash([3, 5]);
    context.beginPath();
    context.moveTo(x0, y);
    context.lineTo(x1, y);
    context.stroke();
    context.setLineDash([]);
    context.fillStyle = theme.fault;
    context.fillRect(x0 - 2.5, y - laneHeight * 0.4, 5, laneHeight * 0.8);
    labelAt(scene, DOWN_LABELS[interval.cause ?? 'crash'], x0 + 7, y - half - 7, theme.fault);
  }
}

function labelAt(scene: Scene, text: string, x: number, y: number, color: string, sizePx = 12): number {
  const { context, theme } = scene;
  context.font = font(scene, sizePx, 600);
  context.textBaseline = 'middle';
  context.lineWidth = 3;
  context.strokeStyle = theme.background;
  context.strokeText(text, x, y);
  context.fillStyle = color;
  context.fillText(text, x, y);
  return context.measureText(text).width;
}

function drawSuspicions(scene: Scene): void {
  const { context, theme, laneHeight } = scene;
  const laneY = new Map(scene.lanes.map((lane) => [lane.process, lane.y]));
  context.fillStyle = withAlpha(theme.warn, 0.85);
  for (const interval of scene.layout.suspects.intervals) {
    const y = laneY.get(interval.process);
    const [x0, x1] = spanX(scene, interval.start, interval.end);
    if (y === undefined || !visible(scene, x0, x1)) continue;
    const bandY = y + laneHeight * 0.36;
    context.fillStyle = withAlpha(theme.warn, 0.85);
    context.fillRect(x0, bandY, Math.max(2, x1 - x0), 3);
    if (x1 - x0 > 160) {
      labelAt(scene, `suspected by ${[...interval.observers].sort().join(' ')}`, Math.max(x0, GUTTER_PX) + 4, bandY + 10, theme.warn, 11);
    }
  }
}

interface EdgeShape {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** Drawn dashed: the send is unknown, or nothing has received it yet. */
  dashed: boolean;
  edge: MessageEdge;
  /** Faded because it leaves the selection's causal past or future. */
  faded?: boolean;
}

function edgeShape(scene: Scene, edge: MessageEdge, laneY: Map<ProcessId, number>): EdgeShape | null {
  const axis = scene.view.axis;
  const send = edge.send;
  const end = edge.end;
  const towards = (from: number, peer: ProcessId | undefined, share: number): number => {
    const target = peer === undefined ? undefined : laneY.get(peer);
    return target === undefined ? from - 16 : from + (target - from) * share;
  };
  if (end === null) {
    const y1 = laneY.get(send!.node);
    if (y1 === undefined) return null;
    const x1 = xOf(scene, axisValue(send!, axis));
    return { x1, y1, x2: x1 + 22, y2: towards(y1, send!.peer, 0.3), dashed: true, edge };
  }
  const endY = laneY.get(end.node);
  if (endY === undefined) return null;
  const endX = xOf(scene, axisValue(end, axis));
  const sendY = send === null ? undefined : laneY.get(send.node);
  if (send === null || sendY === undefined) {
    // The sender died before reporting its send: a dangling stub from the sender's side.
    if (edge.kind === 'drop') return { x1: endX, y1: endY, x2: endX + 16, y2: towards(endY, end.peer, 0.45), dashed: true, edge };
    return { x1: endX - 30, y1: towards(endY, end.peer, 0.45), x2: endX, y2: endY, dashed: true, edge };
  }
  const sendX = xOf(scene, axisValue(send, axis));
  if (edge.kind === 'drop' && end.node === send.node) {
    // Dropped by the sender's own fault filter: the arrow stops short of its target.
    return { x1: sendX, y1: sendY, x2: Math.max(endX, sendX + 16), y2: towards(sendY, end.peer, 0.55), dashed: false, edge };
  }
  return { x1: sendX, y1: sendY, x2: endX, y2: endY, dashed: false, edge };
}

function senderOf(edge: MessageEdge): ProcessId {
  if (edge.send !== null) return edge.send.node;
  const end = edge.end!;
  return (end.kind === 'receive' ? end.peer : end.node) ?? 'lab';
}

function edgeStrong(scene: Scene, edge: MessageEdge): boolean | null {
  const relationOf = scene.relationOf;
  if (relationOf === null) return null;
  const ends = [edge.send, edge.end].filter((event): event is StoredEvent => event !== null).map(relationOf);
  const within = (allowed: CausalRelation[]): boolean => ends.every((relation) => allowed.includes(relation));
  return within(['past', 'selected']) || within(['future', 'selected']);
}

function drawMessages(scene: Scene): void {
  const { from, to } = windowOf(scene);
  const edges = visibleMessages(scene.layout, scene.view.axis, from, to, MAX_EDGES_DRAWN);
  const laneY = new Map(scene.lanes.map((lane) => [lane.process, lane.y]));
  // Thousands of crossing arrows read as a texture; lighter strokes keep events visible.
  const normalAlpha = edges.length > 2000 ? 0.3 : edges.length > 600 ? 0.45 : 0.65;
  const batches = new Map<string, EdgeShape[]>();
  const shapes: EdgeShape[] = [];
  const colors = new Map<ProcessId, string>();
  for (const edge of edges) {
    const shape = edgeShape(scene, edge, laneY);
    if (shape === null) continue;
    shapes.push(shape);
    const strong = edgeStrong(scene, edge);
    shape.faded = strong === false;
    const alpha = strong === null ? normalAlpha : strong ? 0.9 : 0.08;
    const sender = senderOf(edge);
    let color = colors.get(sender);
    if (color === undefined) colors.set(sender, (color = processColor(sender)));
    // A Raft message in its sender's term (the term it carries); a missing send leaves the sender's color.
    if (scene.termColors === true && edge.send !== null) color = eventColor(scene, edge.send);
    const key = `${color}|${alpha}|${shape.dashed ? 1 : 0}`;
    let batch = batches.get(key);
    if (batch === undefined) batches.set(key, (batch = []));
    batch.push(shape);
  }
  for (const [key, batch] of batches) strokeBatch(scene, key, batch, edges.length <= MAX_EDGES_WITH_HEADS);
  drawDropCrosses(scene, shapes);
  if (edges.length <= MAX_EDGES_WITH_LABELS) drawEdgeLabels(scene, shapes);
}

function strokeBatch(scene: Scene, key: string, batch: EdgeShape[], heads: boolean): void {
  const { context } = scene;
  const [color, alphaText, dashed] = key.split('|');
  const stroke = withAlpha(color!, Number(alphaText));
  context.strokeStyle = stroke;
  context.fillStyle = stroke;
  context.lineWidth = 1.4;
  context.setLineDash(dashed === '1' ? [4, 3] : []);
  context.beginPath();
  for (const shape of batch) {
    context.moveTo(shape.x1, shape.y1);
    context.lineTo(shape.x2, shape.y2);
  }
  context.stroke();
  context.setLineDash([]);
  if (!heads) return;
  context.beginPath();
  for (const shape of batch) {
    if (shape.edge.kind !== 'receive') continue;
    const dx = shape.x2 - shape.x1;
    const dy = shape.y2 - shape.y1;
    const length = Math.hypot(dx, dy);
    if (length < 12) continue;
    const ux = dx / length;
    const uy = dy / length;
    const tipX = shape.x2 - ux * 4;
    const tipY = shape.y2 - uy * 4;
    context.moveTo(tipX, tipY);
    context.lineTo(tipX - ux * 9 - uy * 4, tipY - uy * 9 + ux * 4);
    context.lineTo(tipX - ux * 9 + uy * 4, tipY - uy * 9 - ux * 4);
    context.closePath();
  }
  context.fill();
}

function drawDropCrosses(scene: Scene, shapes: EdgeShape[]): void {
  const { context, theme } = scene;
  context.strokeStyle = theme.fault;
  context.lineWidth = 2.2;
  context.beginPath();
  for (const shape of shapes) {
    if (shape.edge.kind !== 'drop') continue;
    const size = 5;
    context.moveTo(shape.x2 - size, shape.y2 - size);
    context.lineTo(shape.x2 + size, shape.y2 + size);
    context.moveTo(shape.x2 + size, shape.y2 - size);
    context.lineTo(shape.x2 - size, shape.y2 + size);
  }
  context.stroke();
}

/** Message types at mid-arrow, skipping any label that would overlap one already placed. */
function drawEdgeLabels(scene: Scene, shapes: EdgeShape[]): void {
  const { context, theme } = scene;
  const placed: { x: number; y: number; width: number }[] = [];
  context.font = font(scene, 11, 600);
  const place = (text: string, x: number, y: number, color: string): void => {
    const width = context.measureText(text).width;
    if (placed.some((other) => Math.abs(other.y - y) < 13 && x < other.x + other.width + 6 && other.x < x + width + 6)) return;
    placed.push({ x, y, width });
    labelAt(scene, text, x, y, color, 11);
  };
  shapes = shapes.filter((shape) => shape.faded !== true);
  for (const shape of shapes) if (shape.edge.duplicate) place('dup', shape.x2 - 26, shape.y2 - 12, theme.warn);
  for (const shape of shapes) {
    const length = Math.hypot(shape.x2 - shape.x1, shape.y2 - shape.y1);
    const type = shape.edge.send?.msgType ?? shape.edge.end?.msgType;
    if (type !== undefined && length > 90) place(type, (shape.x1 + shape.x2) / 2 + 4, (shape.y1 + shape.y2) / 2 - 6, theme.mutedText);
  }
}

/** Events of the visible window, dimmed when concurrent with the selection. */
function drawEvents(scene: Scene): void {
  for (const place of scene.lanes) drawLaneEvents(scene, place);
}

/**
 * A crowded lane (more events than pixels) draws its events as one batch of small
 * squares, one per pixel column, colored by causal relation when something is selected;
 * the rare ones (state changes, starts) always get their glyph and label.
 */
function drawLaneEvents(scene: Scene, place: LanePlace): void {
  const { from, to } = windowOf(scene);
  const { axis } = scene.view;
  const lane = scene.layout.lanes.get(place.process);
  if (lane === undefined) return;
  const list = laneEvents(lane, axis);
  const [begin, end] = laneWindow(lane, axis, from, to);
  const dense = end - begin > (scene.width - GUTTER_PX) / 3;
  const dots = new Map<string, number[]>();
  let lastColumn = Number.NaN;
  let labelRight = Number.NEGATIVE_INFINITY;
  for (let i = begin; i < end; i++) {
    const event = list[i]!;
    const x = xOf(scene, axisValue(event, axis));
    const label = eventLabel(event);
    const relation = scene.relationOf?.(event) ?? null;
    const rare = event.kind === 'state' || event.kind === 'start' || event.kind === 'recover';
    if (dense && !rare && event !== scene.selected) {
      const column = Math.round(x);
      if (column === lastColumn) continue;
      lastColumn = column;
      const style = denseStyle(scene, eventColor(scene, event), relation);
      let xs = dots.get(style);
      if (xs === undefined) dots.set(style, (xs = []));
      xs.push(x);
      continue;
    }
    scene.context.globalAlpha = relation === 'concurrent' ? 0.18 : 1;
    drawGlyph(scene, event, x, place.y);
    if (label !== null && x > labelRight + 6 && (rare || !dense)) labelRight = x + drawEventLabel(scene, event, label, x, place.y);
    scene.context.globalAlpha = 1;
    if (relation !== null && relation !== 'concurrent' && relation !== 'unrelated') drawHalo(scene, relation, x, place.y);
  }
  for (const [style, xs] of dots) {
    scene.context.fillStyle = style;
    scene.context.beginPath();
    for (const x of xs) scene.context.rect(x - 1.75, place.y - 1.75, 3.5, 3.5);
    scene.context.fill();
  }
}

function denseStyle(scene: Scene, color: string, relation: CausalRelation | null): string {
  if (relation === 'past') return scene.theme.past;
  if (relation === 'future') return scene.theme.future;
  if (relation === 'concurrent' || relation === 'unrelated') return withAlpha(color, 0.18);
  return color;
}

function drawGlyph(scene: Scene, event: StoredEvent, x: number, y: number): void {
  const { context, theme, laneHeight } = scene;
  const color = eventColor(scene, event);
  context.fillStyle = color;
  context.strokeStyle = color;
  context.lineWidth = 1.5;
  context.beginPath();
  switch (event.kind) {
    case 'state':
      context.moveTo(x, y - 7);
      context.lineTo(x + 7, y);
      context.lineTo(x, y + 7);
      context.lineTo(x - 7, y);
      context.closePath();
      context.fill();
      context.strokeStyle = theme.text;
      context.stroke();
      return;
    case 'start':
    case 'recover':
      context.fillStyle = theme.ok;
      context.fillRect(x - 2, y - laneHeight * 0.32, 4, laneHeight * 0.64);
      return;
    case 'invoke':
      context.moveTo(x - 5, y - 6);
      context.lineTo(x + 6, y);
      context.lineTo(x - 5, y + 6);
      context.closePath();
      context.stroke();
      return;
    case 'ok':
    case 'fail':
    case 'info':
      context.fillStyle = event.kind === 'ok' ? theme.ok : event.kind === 'fail' ? theme.fault : theme.warn;
      context.arc(x, y, 5, 0, 2 * Math.PI);
      context.fill();
      return;
    case 'timer':
      context.strokeStyle = theme.mutedText;
      context.arc(x, y, 3, 0, 2 * Math.PI);
      context.stroke();
      return;
    case 'persist':
      context.fillStyle = theme.text;
      context.fillRect(x - 2.5, y - 2.5, 5, 5);
      return;
    case 'drop':
      context.fillStyle = theme.fault;
      context.arc(x, y, 2.5, 0, 2 * Math.PI);
      context.fill();
      return;
    case 'log':
      context.fillStyle = theme.mutedText;
      context.arc(x, y, 2, 0, 2 * Math.PI);
      context.fill();
      return;
    default:
      context.arc(x, y, 3.5, 0, 2 * Math.PI);
      context.fill();
  }
}

function drawEventLabel(scene: Scene, event: StoredEvent, label: string, x: number, y: number): number {
  const color = event.kind === 'start' || event.kind === 'recover' ? scene.theme.ok : scene.theme.text;
  const offset = event.kind === 'start' || event.kind === 'recover' ? scene.laneHeight * 0.32 + 6 : 14;
  return labelAt(scene, label, x + 5, y - offset, color, 12) + 5;
}

function drawHalo(scene: Scene, relation: CausalRelation, x: number, y: number): void {
  const { context, theme } = scene;
  context.lineWidth = relation === 'selected' ? 3 : 2;
  context.strokeStyle = relation === 'selected' ? theme.text : relation === 'past' ? theme.past : theme.future;
  context.beginPath();
  context.arc(x, y, relation === 'selected' ? 10 : 7, 0, 2 * Math.PI);
  context.stroke();
}

function drawFaultMarkers(scene: Scene): void {
  const { context, theme, laneHeight } = scene;
  const laneY = new Map(scene.lanes.map((lane) => [lane.process, lane.y]));
  for (const marker of scene.layout.faults.markers) {
    const y = laneY.get(marker.process);
    const x = xOf(scene, pointValue(marker.at, scene.view.axis));
    if (y === undefined || !visible(scene, x, x)) continue;
    const top = y - laneHeight * 0.42;
    context.fillStyle = theme.fault;
    context.beginPath();
    context.moveTo(x - 6, top);
    context.lineTo(x + 6, top);
    context.lineTo(x, top + 8);
    context.closePath();
    context.fill();
    labelAt(scene, marker.label, x + 8, top + 3, theme.fault, 11);
  }
}

function drawGutter(scene: Scene): void {
  const { context, theme } = scene;
  context.fillStyle = theme.background;
  context.fillRect(0, 0, GUTTER_PX, scene.height);
  context.fillStyle = theme.grid;
  context.fillRect(GUTTER_PX - 1, AXIS_PX - 6, 1, scene.height);
  context.textBaseline = 'middle';
  for (const lane of scene.lanes) {
    const interval = scene.layout.faults.openInterval(lane.process);
    context.font = font(scene, 16, 700);
    context.fillStyle = processColor(lane.process);
    context.fillText(lane.process, 12, lane.y - (interval === undefined ? 0 : 7));
    if (interval === undefined) continue;
    context.font = font(scene, 11, 600);
    context.fillStyle = interval.kind === 'paused' ? theme.warn : theme.fault;
    context.fillText(interval.kind === 'paused' ? 'paused' : DOWN_LABELS[interval.cause ?? 'crash'], 12, lane.y + 10);
  }
}
