// What the browser e2e tests share: where Chromium is and how it runs headless, where
// screenshots go, and a lab served to a fresh Chromium on a fresh data directory, all of it
// stopped when the test ends.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createLab, type Lab } from '../../src-main/lab/lab.ts';
import { startWebServer, type WebServer } from '../../src-main/server/web-server.ts';
// @ts-expect-error -- plain JS module (typed by src-renderer/vite.renderer.d.mts for the config only)
import { buildRenderer } from '../../scripts/build-renderer.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHOTS = path.join(ROOT, 'test-results', 'e2e');
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

export function buildNodeBundles(): void {
  const built = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-node.mjs')], { stdio: 'inherit' });
  assert.equal(built.status, 0, 'scripts/build-node.mjs failed');
}

export interface BrowserLab {
  lab: Lab;
  server: WebServer;
  browser: Browser;
  dataRoot: string;
}

/**
 * Builds the node bundles and the renderer, starts a lab (its default scenario) and its web
 * server on a fresh data directory, and launches Chromium; the test's `after` stops them all
 * and removes the directory.
 */
export async function startBrowserLab(t: TestContext, prefix: string): Promise<BrowserLab> {
  buildNodeBundles();
  const { outDir } = await buildRenderer({ quiet: true }) as { outDir: string };
  mkdirSync(SHOTS, { recursive: true });
  const dataRoot = mkdtempSync(path.join(os.tmpdir(), prefix));
  let lab: Lab | null = null;
  let server: WebServer | null = null;
  let browser: Browser | null = null;
  t.after(async () => {
    await browser?.close();
    await server?.close();
    await lab?.close();
    rmSync(dataRoot, { recursive: true, force: true });
  });
  lab = await createLab({ dataRoot });
  server = await startWebServer({ lab, rendererDir: outDir });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return { lab, server, browser, dataRoot };
}

/**
 * A new page of `browser` at `viewport` (a projector's 1280×800 unless a view needs more)
 * whose console errors and uncaught page errors are collected in `problems`: a test ends by
 * asserting that it stayed empty. Every step waits at most `stepTimeoutMs`.
 */
export async function openLabPage(browser: Browser, options: { stepTimeoutMs: number; viewport?: { width: number; height: number } }): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 1280, height: 800 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.setDefaultTimeout(options.stepTimeoutMs);
  return { page, problems };
}
