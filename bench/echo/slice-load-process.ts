// The sliced benchmark's load generator in a process of its own (bench/echo/slice-load.ts).
// Requests: `open` (connections to every server), `slice` (drive one server's group;
// `window` events mark the timed window for the parent, which samples that server's CPU
// then), `close`.
import { answerRequests, notifyParent } from './ipc.js';
import { type Loader, SliceLoad, type SliceWorkload } from './slice-load.js';

/** The most this process may live, whatever the parent does: it must stop by itself. */
const LIFETIME_MS = 15 * 60 * 1000;
setTimeout(() => process.exit(2), LIFETIME_MS).unref();

let load: SliceLoad | null = null;

answerRequests(async (request) => {
  switch (request.type) {
    case 'open': {
      load?.close();
      load = await SliceLoad.open(
        request.loader as Loader,
        request.servers as Record<string, string>,
        request.workload as SliceWorkload,
        request.fullCheckEvery as number,
      );
      const peer = request.loader === 'ws' ? (await import('../support/ws-peer.js')).peerInfo() : undefined;
      return { peer };
    }
    case 'slice': {
      if (load === null) throw new Error('slice before open');
      const result = await load.slice(
        request.server as string,
        request.warmupMs as number,
        request.durationMs as number,
        (edge) => notifyParent({ type: 'window', edge }),
      );
      return { result };
    }
    case 'close':
      load?.close();
      load = null;
      return {};
    default:
      throw new Error(`unknown request ${request.type}`);
  }
});

notifyParent({ type: 'ready' });
