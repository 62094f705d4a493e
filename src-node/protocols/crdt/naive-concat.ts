// NOT A CRDT — deliberately wrong, for the lab's contrast (the book, §5 "Disorderly
// programming"): string concatenation replicated without order. "There is no known technique
// for making string concatenation resolve to the same value without imposing an order on the
// operations"; this type shows why, next to `max-register`, which converges.
//
// What it does: each replica appends the pieces it learns of in the order it learns of them —
// its own appends at once, other replicas' pieces when gossip brings them. Merge is idempotent
// (a piece is appended once, by id), so every replica ends up with the same *pieces*; but it
// is not commutative — merge(a, b) appends b's new pieces after a's, merge(b, a) the other way
// round — so replicas that heard of the pieces in different orders hold different *strings*,
// forever: "A will produce 'Hello World!', and B will produce 'World!Hello '". Gossip never
// repairs it, because no state is "newer" than the other; the convergence check says so.
//
// Payload: `{ pieces: [{ id, text }] }` in this replica's order of application; the value is
// their texts joined. A piece's id is `<replica>:<n>`, its replica's n-th append.

import type { Checked, LatticeOrder, StateCrdt } from './crdt.ts';
import { stateKey } from './crdt.ts';
import { MAX_ELEMENT_LENGTH, checkOp, checkUpdate, describeValue, fail, isRecord, ok, replicaError, shapeError } from './support.ts';

/** Pieces one state may hold; past it a merge drops the newcomers (the state stays bounded). */
export const NAIVE_CONCAT_PIECES_MAX = 10_000;

export interface ConcatPiece {
  id: string;
  text: string;
}

export interface NaiveConcatState {
  pieces: ConcatPiece[];
}

export interface NaiveConcatUpdate {
  op: 'append';
  text: string;
}

const PIECE_ID = /^(.+):([1-9][0-9]{0,8})$/;

function parseUpdate(raw: unknown): Checked<NaiveConcatUpdate> {
  const checked = checkOp(raw, ['append'], ['text']);
  if (!checked.ok) return checked;
  const text = checked.value.text;
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_ELEMENT_LENGTH) {
    return fail(`the text of an append must be a string of 1–${MAX_ELEMENT_LENGTH} characters, got ${describeValue(text)}`);
  }
  return ok({ op: 'append', text });
}

function parsePiece(raw: unknown): Checked<ConcatPiece> {
  const shape = shapeError(raw, 'a naive-concat piece', ['id', 'text']);
  if (shape !== null || !isRecord(raw)) return fail(shape ?? 'a naive-concat piece must be an object');
  const match = typeof raw.id === 'string' ? PIECE_ID.exec(raw.id) : null;
  if (match === null || replicaError(match[1]) !== null) return fail(`a naive-concat piece id is <replica>:<n>, got ${describeValue(raw.id)}`);
  if (typeof raw.text !== 'string' || raw.text.length === 0 || raw.text.length > MAX_ELEMENT_LENGTH) return fail('a naive-concat piece holds 1–256 characters');
  return ok({ id: raw.id as string, text: raw.text });
}

function parseState(raw: unknown): Checked<NaiveConcatState> {
  const shape = shapeError(raw, 'a naive-concat state', ['pieces']);
  if (shape !== null || !isRecord(raw)) return fail(shape ?? 'a naive-concat state must be an object');
  if (!Array.isArray(raw.pieces) || raw.pieces.length > NAIVE_CONCAT_PIECES_MAX) return fail(`a naive-concat state holds at most ${NAIVE_CONCAT_PIECES_MAX} pieces`);
  const pieces: ConcatPiece[] = [];
  const ids = new Set<string>();
  for (const item of raw.pieces) {
    const piece = parsePiece(item);
    if (!piece.ok) return piece;
    if (ids.has(piece.value.id)) return fail(`a naive-concat state holds piece ${piece.value.id} twice`);
    ids.add(piece.value.id);
    pieces.push(piece.value);
  }
  return ok({ pieces });
}

/** This replica's pieces count its appends: the next one is n + 1 (ids never repeat while the state lives). */
function nextId(state: NaiveConcatState, replica: string): string {
  const own = state.pieces.filter((piece) => piece.id.slice(0, piece.id.lastIndexOf(':')) === replica).length;
  return `${replica}:${own + 1}`;
}

/** The deliberately wrong merge: b's unknown pieces go after a's, in b's order. */
function appendUnseen(a: NaiveConcatState, b: NaiveConcatState): NaiveConcatState {
  const known = new Set(a.pieces.map((piece) => piece.id));
  const pieces = [...a.pieces];
  for (const piece of b.pieces) {
    if (pieces.length >= NAIVE_CONCAT_PIECES_MAX) break;
    if (!known.has(piece.id)) pieces.push(piece);
  }
  return { pieces };
}

function idsWithin(a: NaiveConcatState, b: NaiveConcatState): boolean {
  const ids = new Set(b.pieces.map((piece) => piece.id));
  return a.pieces.every((piece) => ids.has(piece.id));
}

/** By the pieces seen; the same pieces in another order are neither below nor above: the type's flaw. */
function compare(a: NaiveConcatState, b: NaiveConcatState): LatticeOrder {
  if (stateKey(a) === stateKey(b)) return 'equal';
  const below = idsWithin(a, b);
  const above = idsWithin(b, a);
  if (below && above) return 'concurrent';
  return below ? 'before' : above ? 'after' : 'concurrent';
}

export const NAIVE_CONCAT: StateCrdt<NaiveConcatState, NaiveConcatUpdate, string> = {
  name: 'naive-concat',
  usesTimestamps: false,
  initial: () => ({ pieces: [] }),
  update(state, update, context) {
    const checked = checkUpdate(update, context, false, parseUpdate);
    if (!checked.ok) return checked;
    if (state.pieces.length >= NAIVE_CONCAT_PIECES_MAX) return fail(`a naive-concat string holds at most ${NAIVE_CONCAT_PIECES_MAX} pieces`);
    return ok({ pieces: [...state.pieces, { id: nextId(state, context.replica), text: checked.value.text }] });
  },
  merge: appendUnseen,
  value: (state) => state.pieces.map((piece) => piece.text).join(''),
  compare,
  canonical: (state) => ({ pieces: state.pieces.map((piece) => ({ id: piece.id, text: piece.text })) }),
  parseState,
  parseUpdate,
  describe: () => ({
    payload: 'the appended pieces, in the order this replica applied them; the value is their concatenation',
    merge: 'NOT A CRDT: append the other side\'s unseen pieces after one\'s own (order-dependent, not commutative)',
    anomaly: 'replicas that hear of the pieces in different orders hold different strings forever: it never converges',
  }),
};
