// Dynamo's shopping-cart promise (DeCandia et al. 2007, §4.4): "add to cart" is never lost.
// A cart workload (src-main/workload/generators.ts) reads a cart, merges its siblings, adds an
// item and writes the merged cart back with the read's context. With vector clocks a store
// keeps concurrent carts as siblings and the next read merges them, so every item carried by
// an acknowledged put is in the final cart — the union of the items of its siblings. Deleted
// items may resurface (the workload deletes none, so that cannot show here). Under
// last-writer-wins a store keeps one cart per key, chosen by the coordinators' clocks, and the
// items of the carts it discards are lost: this check names them.
//
// An item is promised once an acknowledged put carried it (whoever added it: a put that
// carried an item it read promises it too). It was added by the first put to carry it — every
// other put that carries it read it from a version that put made, so was invoked later.
// Puts whose outcome is `info` promise nothing; a `fail`ed put did not happen (a refused
// attempt that a client sent again elsewhere, after a redirect), so it adds nothing either.
//
// Pure code: no I/O.

import type { CheckVerdict } from '../../src-node/contract/history.ts';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import { mergeCarts } from '../workload/generators.ts';

/** One client operation as the lab records it (src-main/workload/client.ts: CompletedOp). */
export interface CartOperation {
  client: string;
  node: string;
  op: ClientOp;
  result: ClientResult;
  invokedAtMs: number;
  completedAtMs: number;
  opId: string;
}

/** What one cart held at the end, seen from `source` (a replica, or the lab's read-back): every sibling's value. */
export interface FinalCart {
  key: string;
  source: string;
  siblings: readonly unknown[];
}

/** A put, named as the trace names it. */
export interface CartPut {
  opId: string;
  client: string;
  node: string;
  invokedAtMs: number;
  completedAtMs: number;
  outcome: ClientResult['type'];
}

export interface LostItem {
  key: string;
  item: string;
  /** The first put that carried the item: the one that added it. */
  addedBy: CartPut;
  /** The acknowledged puts that carried it (at most MAX_CARRIERS_REPORTED, earliest first). */
  carriedBy: CartPut[];
  /** The final views of the cart that lack it. */
  missingFrom: string[];
}

export interface CartCheck {
  /** invalid: a promised item is missing; unknown: none missing, but a cart with promised items was not read; valid otherwise. */
  verdict: CheckVerdict;
  /** Missing items, by key and item; at most MAX_LOST_REPORTED. */
  lost: LostItem[];
  lostCount: number;
  /** Items carried by an acknowledged put, over all carts. */
  promised: number;
  /** Carts with promised items and no final view. */
  unread: string[];
  summary: string;
}

export const MAX_LOST_REPORTED = 1_000;
export const MAX_CARRIERS_REPORTED = 5;

/** Judges every item carried by an acknowledged put against every final view of its cart. */
export function checkCarts(operations: readonly CartOperation[], finals: readonly FinalCart[]): CartCheck {
  const puts = operations.filter((operation) => operation.op.f === 'put' && operation.result.type !== 'fail' && typeof operation.op.key === 'string' && Array.isArray(operation.op.value))
    .sort((a, b) => a.invokedAtMs - b.invokedAtMs || a.completedAtMs - b.completedAtMs);
  const items = itemsByKey(puts);
  const views = new Map<string, { source: string; items: Set<string> }[]>();
  for (const final of finals) {
    const list = views.get(final.key) ?? [];
    views.set(final.key, list);
    list.push({ source: final.source, items: new Set(mergeCarts(final.siblings)) });
  }
  const lost: LostItem[] = [];
  const unread: string[] = [];
  let lostCount = 0;
  let promised = 0;
  for (const [key, byItem] of [...items].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const promisedItems = [...byItem].filter(([, record]) => record.carriedBy.length > 0);
    promised += promisedItems.length;
    const seen = views.get(key);
    if (seen === undefined || seen.length === 0) {
      if (promisedItems.length > 0) unread.push(key);
      continue;
    }
    for (const [item, record] of promisedItems) {
      const missingFrom = seen.filter((view) => !view.items.has(item)).map((view) => view.source);
      if (missingFrom.length === 0) continue;
      lostCount += 1;
      if (lost.length < MAX_LOST_REPORTED) lost.push({ key, item, addedBy: record.addedBy, carriedBy: record.carriedBy.slice(0, MAX_CARRIERS_REPORTED), missingFrom });
    }
  }
  const verdict: CheckVerdict = lostCount > 0 ? 'invalid' : unread.length > 0 ? 'unknown' : 'valid';
  return { verdict, lost, lostCount, promised, unread, summary: summarize(verdict, lost, lostCount, promised, unread, items.size) };
}

type ItemRecord = { addedBy: CartPut; carriedBy: CartPut[] };

/** key → item → the put that added it and the acknowledged puts that carried it. */
function itemsByKey(puts: readonly CartOperation[]): Map<string, Map<string, ItemRecord>> {
  const byKey = new Map<string, Map<string, ItemRecord>>();
  for (const operation of puts) {
    const key = operation.op.key as string;
    const byItem = byKey.get(key) ?? new Map<string, ItemRecord>();
    byKey.set(key, byItem);
    const put = named(operation);
    for (const item of mergeCarts([operation.op.value])) {
      let record = byItem.get(item);
      if (record === undefined) {
        record = { addedBy: put, carriedBy: [] };
        byItem.set(item, record);
      }
      if (operation.result.type === 'ok') record.carriedBy.push(put);
    }
  }
  return byKey;
}

function named(operation: CartOperation): CartPut {
  return {
    opId: operation.opId, client: operation.client, node: operation.node,
    invokedAtMs: operation.invokedAtMs, completedAtMs: operation.completedAtMs, outcome: operation.result.type,
  };
}

function summarize(verdict: CheckVerdict, lost: readonly LostItem[], lostCount: number, promised: number, unread: readonly string[], carts: number): string {
  if (verdict === 'invalid') {
    const shown = lost.slice(0, 5).map((entry) => {
      const added = entry.addedBy;
      const acked = entry.carriedBy[0];
      const how = added.outcome === 'ok'
        ? `added by ${added.client} via ${added.node} in ${added.opId}, acknowledged at ${Math.round(added.completedAtMs)} ms`
        : `added by ${added.client} in ${added.opId} (outcome unknown), carried by acknowledged ${acked?.opId ?? '?'} of ${acked?.client ?? '?'}`;
      return `${entry.key}: ${entry.item} (${how}; missing from ${entry.missingFrom.join(', ')})`;
    });
    return `${lostCount} of ${promised} item(s) added in acknowledged puts are missing from the final cart: ${shown.join('; ')}`;
  }
  if (verdict === 'unknown') return `no promised item known missing, but ${unread.length} cart(s) were not read at the end: ${unread.slice(0, 5).join(', ')}`;
  return `all ${promised} item(s) carried by acknowledged puts are in the final cart(s) (${carts} cart(s))`;
}
