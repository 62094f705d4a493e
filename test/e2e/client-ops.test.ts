// The client panel speaks each protocol's own operations, end to end: the browser shell, the
// real lab and real node processes. On a Dynamo run a person writes two versions of a cart
// without a context (siblings), reads the cart from all three replicas (R = 3, chosen for this
// request) and sees both siblings, writes back the merged cart with the context of that read,
// and reads one value again. On a Paxos run they propose a value and see the value chosen —
// maybe another client's — and every node's read agrees. On a CALM run the panel asks the
// program what it takes and offers its inputs; on 2PC and CRDT runs it transfers money and
// adds to a set. Screenshots land in test-results/e2e/client-*.png
// for a human to look at (1280×800, the workshop projector).
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { SHOTS, openLabPage, startBrowserLab } from './lab-browser.ts';

const STEP_TIMEOUT_MS = 30_000;
const MINE = '[data-field="outcomes"] li[data-client="c99"]';

async function startScenario(page: Page, name: string, nodes: number): Promise<void> {
  await page.selectOption('[data-field="scenario"]', name);
  await page.click('[data-action="start-scenario"]');
  await page.locator('[data-notice="info"]', { hasText: `Started scenario ${name}` }).waitFor();
  await page.waitForFunction((count) => document.querySelectorAll('[data-node-card][data-state="up"]').length === count, nodes);
}

/** Picks an operation, fills the fields given (by data-field), sends it and returns the person's newest outcome. */
async function send(page: Page, operation: string, fields: Record<string, string | boolean>): Promise<{ outcome: string; text: string }> {
  await page.selectOption('[data-field="client-op"]', operation);
  for (const [field, value] of Object.entries(fields)) {
    const selector = `[data-field="${field}"]`;
    if (typeof value === 'boolean') await page.setChecked(selector, value);
    else if ((await page.locator(selector).evaluate((element) => element.tagName)) === 'SELECT') await page.selectOption(selector, value);
    else await page.fill(selector, value);
  }
  // The button says "Waiting…" from the click until the reply is in the list (the list keeps
  // only the newest 30, so counting the person's lines would not do once it is full).
  await page.click('[data-action="client-send"]');
  await page.waitForFunction(() => {
    const button = document.querySelector('[data-action="client-send"]') as HTMLButtonElement | null;
    return button !== null && !button.disabled && !(button.textContent ?? '').includes('Waiting');
  });
  const newest = page.locator(MINE).first();
  // The line as a person reads it: what was asked, then what came back.
  const [asked, answered] = await Promise.all([newest.locator('.op').textContent(), newest.locator('.result').textContent()]);
  return { outcome: (await newest.getAttribute('data-outcome')) ?? '', text: `${asked?.trim() ?? ''} ${answered?.trim() ?? ''}` };
}

/** Scrolls the client panel under the sticky header and takes the window (1280×800) and the panel alone. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => {
    const panel = document.querySelector('.client-panel');
    const header = document.querySelector('.top-bar');
    if (panel !== null) window.scrollTo(0, panel.getBoundingClientRect().top + window.scrollY - (header?.getBoundingClientRect().height ?? 0) - 8);
  });
  await page.screenshot({ path: path.join(SHOTS, `client-${name}.png`) });
  await page.locator('.client-panel').screenshot({ path: path.join(SHOTS, `client-${name}-panel.png`) });
}

test('the client panel speaks Dynamo, Paxos, CALM, 2PC and CRDTs', { timeout: 300_000 }, async (t: TestContext) => {
  const { server, browser } = await startBrowserLab(t, 'distlab-e2e-client-');
  const { page, problems } = await openLabPage(browser, { stepTimeoutMs: STEP_TIMEOUT_MS });
  await page.goto(server.url);
  await page.waitForFunction(() => document.querySelectorAll('[data-node-card][data-state="up"]').length > 0);

  await t.test('primary/backup: put and get only (its core has no cas)', async () => {
    const offered = await page.$$eval('[data-field="client-op"] option', (options) => options.map((option) => (option as HTMLOptionElement).value));
    assert.deepEqual(offered, ['put', 'get']);
    // Before anyone picks, the menu shows the operation the button sends (it once showed nothing).
    assert.equal(await page.$eval('[data-field="client-op"]', (select) => (select as HTMLSelectElement).selectedOptions[0]?.value ?? ''), 'put');
    assert.equal((await page.textContent('[data-action="client-send"]'))?.trim(), 'Put');
  });

  await t.test('dynamo: read the siblings, write back with the read\'s context, read one value', async () => {
    // dynamo-pbs: five nodes, N = 3, R = 1, W = 1, vector clocks, no workload and no faults of its own.
    await startScenario(page, 'dynamo-pbs', 5);
    await page.locator('[data-field="scenario-lesson"] summary').click();
    const offered = await page.$$eval('[data-field="client-op"] option', (options) => options.map((option) => (option as HTMLOptionElement).value));
    assert.deepEqual(offered, ['get', 'put']);
    await page.selectOption('[data-field="client-op"]', 'put');
    assert.equal(await page.inputValue('[data-field="client-w"]'), '1', 'W starts at the run\'s');
    for (const item of ['milk', 'eggs']) {
      const written = await send(page, 'put', { 'client-key': 'cart', 'client-value': item, 'client-with-context': false });
      assert.equal(written.outcome, 'ok', written.text);
      assert.match(written.text, new RegExp(`put cart = ${item}`));
    }
    const read = await send(page, 'get', { 'client-key': 'cart', 'client-r': '3' });
    assert.equal(read.outcome, 'ok', read.text);
    assert.match(read.text, /get cart · R=3 → 2 siblings: (milk \| eggs|eggs \| milk) \(latest \w+\) · context \{n\d:2\}/);
    await page.selectOption('[data-field="client-op"]', 'put');
    await page.fill('[data-field="client-value"]', 'eggs+milk');
    await page.setChecked('[data-field="client-with-context"]', true);
    assert.match((await page.textContent('[data-field="client-with-context-note"]')) ?? '', /your read at n\d saw 2 siblings: .* · context \{n\d:2\}/);
    await shoot(page, '01-dynamo-before-write-back');
    const merged = await send(page, 'put', {});
    assert.equal(merged.outcome, 'ok', merged.text);
    assert.match(merged.text, /put cart = eggs\+milk · with context \{n\d:2\}/);
    const after = await send(page, 'get', { 'client-key': 'cart', 'client-r': '3' });
    assert.equal(after.outcome, 'ok', after.text);
    assert.match(after.text, /get cart · R=3 → eggs\+milk · context \{n\d:3\}/, 'one value: the write superseded both siblings');
    await shoot(page, '02-dynamo-written-back');
    // A bad request never leaves: the panel says why.
    await page.selectOption('[data-field="client-op"]', 'get');
    await page.fill('[data-field="client-r"]', '9');
    const count = await page.locator(MINE).count();
    await page.click('[data-action="client-send"]');
    assert.equal((await page.textContent('[data-field="client-problem"]'))?.trim(), 'R must be a whole number from 1 to 3, not "9".');
    assert.equal(await page.locator(MINE).count(), count);
    await page.fill('[data-field="client-r"]', '1');
  });

  await t.test('paxos: propose a value, see the value chosen, and every node agrees', async () => {
    await startScenario(page, 'paxos-one-proposer', 5);
    const offered = await page.$$eval('[data-field="client-op"] option', (options) => options.map((option) => (option as HTMLOptionElement).value));
    assert.deepEqual(offered, ['propose', 'read']);
    const proposed = await send(page, 'propose', { 'client-value': 'workshop', 'client-node': 'n3' });
    assert.equal(proposed.outcome, 'ok', proposed.text);
    const chosen = /propose = workshop → chosen (\S+)/.exec(proposed.text)?.[1];
    assert.ok(chosen, proposed.text);
    assert.match(proposed.text, chosen === 'workshop' ? /chosen workshop \(this proposal won\)/ : /— not workshop \(another proposal won\)/);
    for (const node of ['n1', 'n2', 'n3', 'n4', 'n5']) {
      let read = await send(page, 'read', { 'client-node': node });
      // A node that has not learned yet asks its peers every learnIntervalMs.
      for (let attempt = 0; read.text.includes('nothing yet') && attempt < 10; attempt += 1) {
        await page.waitForTimeout(300);
        read = await send(page, 'read', { 'client-node': node });
      }
      assert.match(read.text, new RegExp(`read → ${chosen.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), `${node} learned the same value`);
    }
    await page.selectOption('[data-field="client-op"]', 'propose');
    await shoot(page, '03-paxos-chosen');
  });

  await t.test('calm: the panel asks the program what it takes and offers its inputs', async () => {
    await startScenario(page, 'calm-cart-destructive', 3);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-field="client-op"] option')].some((option) => (option as HTMLOptionElement).value === 'input:client_add'));
    const offered = await page.$$eval('[data-field="client-op"] option', (options) => options.map((option) => (option as HTMLOptionElement).value));
    assert.deepEqual(offered, ['input:client_add', 'input:client_remove', 'read', 'seal', 'describe']);
    const input = await send(page, 'input:client_add', { 'client-tuple-0': 'cheese', 'client-node': 'n2' });
    // The scenario's own client at n2 seals n2's inputs after its fourth input; an input that
    // comes later is refused by the protocol — a well-formed request, answered.
    if (input.outcome !== 'ok') {
      assert.match(input.text, /^input client_add \(cheese\) client_add is sealed at n2: it takes no more input$/);
      t.diagnostic('the workload had sealed n2 before the person\'s input');
    } else {
      assert.equal(input.text, 'input client_add (cheese) → taken (joins the next step)');
    }
    // The tuple reaches n1 over the scenario's slow, reordering links, in one of its next steps.
    let read = await send(page, 'read', { 'client-collection': 'cart', 'client-node': 'n1' });
    for (let attempt = 0; input.outcome === 'ok' && !read.text.includes('(cheese)') && attempt < 10; attempt += 1) {
      await page.waitForTimeout(300);
      read = await send(page, 'read', { 'client-collection': 'cart', 'client-node': 'n1' });
    }
    assert.equal(read.outcome, 'ok', read.text);
    assert.match(read.text, input.outcome === 'ok' ? /^read cart → .*\(cheese\)/ : /^read cart → (empty|(\(\w+\) ?)+)$/);
    await page.selectOption('[data-field="client-op"]', 'input:client_add');
    await shoot(page, '04-calm-inputs');
  });

  await t.test('2pc: a transfer names its transaction and participants; a balance reads where the account lives', async () => {
    await startScenario(page, '2pc-commit', 4);
    const offered = await page.$$eval('[data-field="client-op"] option', (options) => options.map((option) => (option as HTMLOptionElement).value));
    assert.deepEqual(offered, ['transfer', 'balance']);
    const accounts = await page.$$eval('[data-field="client-from-account"] option', (options) => options.map((option) => (option as HTMLOptionElement).value));
    assert.deepEqual(accounts, ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'], 'the run\'s six accounts');
    const transfer = await send(page, 'transfer', { 'client-from-account': 'a1', 'client-to-account': 'a4', 'client-amount': '5' });
    assert.match(transfer.text, /^transfer 5 a1 → a4 (→ committed t\d+ on n\d(, n\d)?|aborted t\d+: .* · participants n\d(, n\d)?)$/);
    const balance = await send(page, 'balance', { 'client-account': 'a4' });
    assert.equal(balance.outcome, 'ok', balance.text);
    assert.match(balance.text, /^balance a4 → \d+$/);
    await page.selectOption('[data-field="client-op"]', 'transfer');
    await page.fill('[data-field="client-amount"]', '0');
    await page.click('[data-action="client-send"]');
    // The workload keeps the nodes' statuses changing: the sentence must outlive the updates.
    await page.waitForTimeout(1_000);
    assert.equal((await page.textContent('[data-field="client-problem"]'))?.trim(), 'The amount must be a whole number from 1 to 1,000,000,000, not "0".');
    await shoot(page, '05-2pc-transfer');
  });

  await t.test('crdt-gossip: the run\'s type decides the updates (an OR-set: add and remove an element)', async () => {
    await startScenario(page, 'crdt-add-remove-or-set', 3);
    const offered = await page.$$eval('[data-field="client-op"] option', (options) => options.map((option) => (option as HTMLOptionElement).value));
    assert.deepEqual(offered, ['add', 'remove', 'read']);
    assert.equal(await page.inputValue('[data-field="client-key"]'), 'set', 'the key the workload and the view use');
    const added = await send(page, 'add', { 'client-value': 'tea', 'client-node': 'n1' });
    assert.equal(added.outcome, 'ok', added.text);
    assert.match(added.text, /^update set add tea → now \[.*"tea".*\]$/);
    await shoot(page, '06-crdt-add');
  });

  await t.test('nothing went wrong in the page', () => {
    assert.deepEqual(problems, []);
  });
});
