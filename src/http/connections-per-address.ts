import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { clientLimitKey } from './networks.js';

/**
 * At most `cap` connections open at once from one client address (an IPv6 client by its /64,
 * as every per-client limit counts it: clientLimitKey); 0: no cap. Without it one address could
 * hold all MAX_CONNECTIONS of a process: connections live HEADERS_TIMEOUT_MS without sending a
 * byte, so some 400 new ones a second kept the port full for every other client. A connection
 * beyond the cap is closed as it arrives, unanswered, as one beyond MAX_CONNECTIONS is. The
 * address is the socket's peer: behind a proxy every connection is the proxy's (TRUST_PROXY
 * plays no part here), so operators set the cap to 0 or to the proxy's share. Counted per
 * process and listener, as MAX_CONNECTIONS is. Returns the open connections by key (for tests).
 */
export function capConnectionsPerAddress(server: Server, cap: number): ReadonlyMap<string, number> {
  const open = new Map<string, number>();
  if (cap <= 0) return open;
  // First of the listeners: the others see a refused socket already destroyed.
  server.prependListener('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (address === undefined) return; // already gone: nothing to count
    const key = clientLimitKey(address);
    const held = open.get(key) ?? 0;
    if (held >= cap) {
      socket.destroy();
      return;
    }
    open.set(key, held + 1);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
  });
  return open;
}
