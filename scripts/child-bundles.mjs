// How the lab's child processes are bundled (esbuild, CommonJS, for Node 20, with the
// native better-sqlite3 left outside). scripts/build-node.mjs and the tests that bundle a
// child of their own share these options.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The node runtime's storage worker (src-node/runtime/stable-storage.ts starts it from beside
 * the running bundle), so it goes into every folder that gets a bundle.
 */
export const STORAGE_WORKER_ENTRY = { 'storage-worker': 'src-node/runtime/storage-worker.ts' };

/** Bundles `entryPoints` (name → source file, relative to the repo) into `outdir` as `<name>.cjs`, with the storage worker. */
export async function bundleChildren(entryPoints, outdir = 'out/node') {
  await build({
    absWorkingDir: ROOT,
    entryPoints: { ...STORAGE_WORKER_ENTRY, ...entryPoints },
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    external: ['better-sqlite3', 'bufferutil', 'utf-8-validate'],
    logLevel: 'warning',
  });
}
