// Entry of one cluster node process (bundled to out/node/node.cjs by scripts/build-node.mjs).
// The supervisor forks it with DISTLAB_NODE_CONFIG and talks to it over IPC; see
// cluster-node.ts for the order of messages it can rely on.

import { protocolByName } from '../protocols/registry.ts';
import { runNodeProcess } from './node-process.ts';

runNodeProcess({ protocolByName });
