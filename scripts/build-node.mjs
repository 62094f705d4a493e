// Bundles the child processes (cluster node, trace recorder) into out/node/ so that they
// start fast: one file each, no TypeScript at run time. Used by `npm start`, `npm test` and
// `npm run bench`; takes well under a second.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT, bundleChildren } from './child-bundles.mjs';

const entries = {
  node: 'src-node/runtime/node-main.ts',
  recorder: 'src-main/recorder/recorder-main.ts',
};
const present = Object.fromEntries(
  Object.entries(entries).filter(([, file]) => existsSync(path.join(ROOT, file))),
);
await bundleChildren(present);
