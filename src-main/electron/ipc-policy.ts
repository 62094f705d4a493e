// What the Electron main process accepts from its renderer, as pure functions so that
// they are tested under plain Node (this file must not import electron). main.ts applies
// them: only our own page may call the lab, only LabApi methods with well-formed
// arguments get through, and the page may not navigate or open windows elsewhere.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LAB_METHODS, type ExportFormat, type LabMethod } from '../../src-node/contract/lab-api.ts';
import { validateCallArgs } from '../server/call-validation.ts';

/** More arguments than any LabApi method takes: refused before validation looks at them. */
export const CALL_ARGS_MAX = 4;

/** Where the renderer page comes from: the built file, or electron-vite's dev server. */
export type RendererSource =
  | { kind: 'file'; url: string }
  | { kind: 'dev-server'; url: string; origin: string };

export function rendererSource(options: { indexFile: string; devServerUrl?: string | undefined }): RendererSource {
  if (options.devServerUrl) {
    const url = new URL(options.devServerUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`ELECTRON_RENDERER_URL must be http(s), got ${options.devServerUrl}`);
    }
    return { kind: 'dev-server', url: url.href, origin: url.origin };
  }
  return { kind: 'file', url: pathToFileURL(path.resolve(options.indexFile)).href };
}

/**
 * True when `url` is our renderer page: the very index.html file (any hash or query), or
 * any page of the dev server's origin. Everything else (other files, other sites,
 * about:blank, data:) is not ours.
 */
export function isRendererUrl(url: string, source: RendererSource): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (source.kind === 'dev-server') return parsed.origin === source.origin;
  const expected = new URL(source.url);
  return parsed.protocol === 'file:' && parsed.host === expected.host && parsed.pathname === expected.pathname;
}

export type LabCall =
  | { ok: true; method: LabMethod; args: unknown[] }
  | { ok: false; error: string };

/** Checks one `lab:call` message: a LabApi method, an argument array that fits it. */
export function parseLabCall(method: unknown, args: unknown): LabCall {
  if (typeof method !== 'string' || !(LAB_METHODS as readonly string[]).includes(method)) {
    return { ok: false, error: `unknown lab method ${JSON.stringify(method)}; known: ${LAB_METHODS.join(', ')}` };
  }
  const labMethod = method as LabMethod;
  if (!Array.isArray(args)) return { ok: false, error: `${method}: the arguments must be an array` };
  if (args.length > CALL_ARGS_MAX) return { ok: false, error: `${method}: too many arguments (${args.length})` };
  const problem = validateCallArgs(labMethod, args);
  if (problem !== null) return { ok: false, error: `${method}: ${problem}` };
  return { ok: true, method: labMethod, args };
}

/**
 * The Content-Security-Policy header for pages of the dev server. The built page
 * (file://) gets no headers, so its policy is the <meta> tag in index.html; in dev both
 * apply and a resource must pass both. Vite injects CSS as <style> elements and talks to
 * its client over a WebSocket on the same origin, hence the two allowances.
 */
export function devServerCsp(origin: string): string {
  const socket = origin.replace(/^http/, 'ws');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self' ${socket}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const EXPORT_FILTERS: Record<ExportFormat, { name: string }> = {
  sqlite: { name: 'SQLite trace' },
  jsonl: { name: 'JSON lines' },
  shiviz: { name: 'ShiViz log' },
};

/** Save-dialog filters for an exported file: its own extension first, then anything. */
export function exportFilters(format: ExportFormat, fileName: string): { name: string; extensions: string[] }[] {
  const extension = path.extname(fileName).slice(1);
  const own = extension ? [{ name: EXPORT_FILTERS[format].name, extensions: [extension] }] : [];
  return [...own, { name: 'All files', extensions: ['*'] }];
}
