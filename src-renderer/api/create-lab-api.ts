// Chooses the one LabApi of this page: the Electron preload bridge when it is there,
// else socket.io to the browser shell that served the page.
import { bridgeTransport } from './bridge-transport.ts';
import { socketTransport } from './socket-transport.ts';
import { labApiOver, type ShellLabApi } from './transport-lab-api.ts';

export type { ShellLabApi } from './transport-lab-api.ts';

export function createLabApi(): ShellLabApi {
  return labApiOver(window.distlab ? bridgeTransport(window.distlab) : socketTransport());
}
