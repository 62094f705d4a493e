// Where the lab's child processes come from. The children (cluster nodes, the trace
// recorder) load better-sqlite3, which is built for Node's ABI, so they always run on a
// Node binary, even when the supervisor runs inside Electron (see VERSIONS.md).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Node binary that runs child processes. */
export function nodeBinary(): string {
  if (process.versions['electron']) return process.env['DISTLAB_NODE'] ?? process.env['npm_node_execpath'] ?? 'node';
  return process.execPath;
}

/** The repository (or app) root: the nearest folder above this file with a package.json. */
export function appRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the distlab folder (no package.json above the lab code)');
    dir = parent;
  }
}

/** The bundled entry of a child process (`node` or `recorder`), built by scripts/build-node.mjs. */
export function childEntry(name: 'node' | 'recorder'): string {
  const entry = path.join(appRoot(), 'out', 'node', `${name}.cjs`);
  if (!existsSync(entry)) {
    throw new Error(`${entry} is missing: build the child processes first with \`npm run build:node\``);
  }
  return entry;
}
