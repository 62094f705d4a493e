// How a simulated node's output travels: a message or a heartbeat meets the network's fate
// (dropped, or delivered once or more, each at its arrival time), and a client's reply takes
// the client leg. Shared by the hosts of SimNodes — the simulator and the PBS experiment's
// cluster (src-main/pbs/sim-cluster.ts) — so both move messages exactly alike.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { OutMessage, Reply } from '../../src-node/contract/core.ts';
import type { ClientRequest, SimEvent } from './events.ts';
import type { SimNetwork } from './network.ts';
import type { SimNode } from './sim-node.ts';
import type { SimTrace } from './sim-trace.ts';

/** The events routing schedules. */
export type RoutedEvent = Extract<SimEvent, { kind: 'deliver' | 'heartbeat' | 'response' }>;

export interface RoutingHost {
  readonly trace: SimTrace;
  now(): number;
  schedule(atMs: number, event: RoutedEvent): void;
}

/** `message` from `source` to `target` (undefined: no such node): dropped with a `drop` event, or scheduled at each arrival. */
export function routeMessage(host: RoutingHost, network: SimNetwork, options: { source: SimNode; target: SimNode | undefined; message: OutMessage; payloadJson: string; msgId: string }): void {
  const { source, target, message, payloadJson, msgId } = options;
  const fate = target === undefined || target.state !== 'up' ? { drop: 'link-down' as const } : network.route(source.id, message.target, host.now());
  if ('drop' in fate) {
    source.record('drop', { msgId, peer: message.target, msgType: message.type, detail: { reason: fate.drop } });
    return;
  }
  const wire = { id: msgId, source: source.id, target: message.target, type: message.type, payloadJson, stamp: host.trace.stampOf(source.id) };
  for (const atMs of fate.arrivals) host.schedule(atMs, { kind: 'deliver', message: wire });
}

/** A failure-detector heartbeat: it rides the same links as messages but is not traced. */
export function routeHeartbeat(host: RoutingHost, network: SimNetwork, options: { source: SimNode; target: SimNode | undefined; peer: NodeId }): void {
  if (options.target?.state !== 'up') return;
  const fate = network.route(options.source.id, options.peer, host.now());
  if ('drop' in fate) return;
  for (const atMs of fate.arrivals) host.schedule(atMs, { kind: 'heartbeat', target: options.peer, source: options.source.id });
}

/** A node's reply to a client: traced as a send, delivered after the client leg. */
export function routeReply(host: RoutingHost, network: SimNetwork, options: { node: SimNode; request: ClientRequest; reply: Reply }): void {
  const { node, request, reply } = options;
  node.record('send', { newMessage: true, peer: request.client, msgType: 'client-reply', detail: { requestId: request.requestId, result: reply.result } });
  host.schedule(host.now() + network.clientDelayMs(), {
    kind: 'response', client: request.client, opNumber: request.opNumber, node: node.id, result: reply.result, stamp: host.trace.stampOf(node.id),
  });
}
