// Bundles the child processes (cluster node, trace recorder) into out/node/ so that they
// start fast: one file each, no TypeScript at run time. better-sqlite3 stays external
// (native). Used by `npm start`, `npm test` and `npm run bench`; takes well under a second.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entries = {
  node: 'src-node/runtime/node-main.ts',
  recorder: 'src-main/recorder/recorder-main.ts',
};
const present = Object.fromEntries(
  Object.entries(entries).filter(([, file]) => existsSync(path.join(root, file))),
);
await build({
  absWorkingDir: root,
  entryPoints: present,
  outdir: 'out/node',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  external: ['better-sqlite3', 'bufferutil', 'utf-8-validate'],
  logLevel: 'warning',
});
