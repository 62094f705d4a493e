// Runs a cluster node as the current OS process: reads the config from the environment,
// turns every uncaught error into a visible crash (`fatal`, exit 1) and exits when done.
// node-main.ts calls it with the real protocol registry; tests bundle it with their own.

import type { ProtocolDefinition } from '../contract/core.ts';
import { startClusterNode, type ClusterNode } from './cluster-node.ts';
import { processChannel } from './control-channel.ts';
import { EXIT_GRACE_MS } from './limits.ts';
import { readNodeConfigFromEnv } from './node-config.ts';

export interface NodeProcessOptions {
  protocolByName(name: string): ProtocolDefinition;
}

export function runNodeProcess(options: NodeProcessOptions): void {
  const channel = processChannel();
  let node: ClusterNode | undefined;
  const exit = (code: number): never => process.exit(code);

  // Before the node exists there is no trace to flush: report and exit.
  function fatalAtStart(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    channel.send({ t: 'fatal', message, ...(error instanceof Error && error.stack !== undefined ? { stack: error.stack } : {}) });
    const timer = setTimeout(() => exit(1), EXIT_GRACE_MS);
    void channel.drained().then(() => {
      clearTimeout(timer);
      exit(1);
    });
  }
  const onError = (error: unknown): void => (node === undefined ? fatalAtStart(error) : node.fatal(error));
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);

  try {
    const config = readNodeConfigFromEnv(process.env);
    startClusterNode(config, { ...options, channel, exit }).then((started) => {
      node = started;
    }, onError);
  } catch (error) {
    onError(error);
  }
}
