// The load generator in a process of its own, so it does not share an event loop (or a
// core) with the server it drives. Requests: `load` (runLoad; `window` events mark the
// timed window for the parent), `idle-open` and `idle-drop` (the memory measurement).
import { dropIdleConnections, type IdleConnections, openIdleConnections } from './idle.js';
import { answerRequests, notifyParent } from './ipc.js';
import { type LoadOptions, runLoad } from './load.js';

/** The most this process may live, whatever the parent does: it must stop by itself. */
const LIFETIME_MS = 10 * 60 * 1000;
setTimeout(() => process.exit(2), LIFETIME_MS).unref();

let idle: IdleConnections | null = null;

answerRequests(async (request) => {
  switch (request.type) {
    case 'load': {
      const options = request.options as LoadOptions;
      const result = await runLoad({
        ...options,
        onWindow: (edge) => notifyParent({ type: 'window', edge }),
      });
      const peer = options.client === 'ws' ? (await import('../support/ws-peer.js')).peerInfo() : undefined;
      return { result, peer };
    }
    case 'idle-open': {
      if (idle !== null) dropIdleConnections(idle);
      idle = await openIdleConnections(
        request.url as string,
        request.count as number,
        request.batch as number,
        undefined,
        request.deflate === true,
      );
      return { opened: idle.sockets.length, failed: idle.failed, firstError: idle.firstError };
    }
    case 'idle-drop':
      if (idle !== null) dropIdleConnections(idle);
      idle = null;
      return {};
    default:
      throw new Error(`unknown request ${request.type}`);
  }
});

notifyParent({ type: 'ready' });
