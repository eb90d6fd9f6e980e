// A benchmark server in a process of its own: `node server-process.js KIND [deflate]`
// (KIND one of servers.ts's SERVER_KINDS)
// (`deflate`: accept permessage-deflate). Tells the
// parent its URL (and, for ws, which add-ons ws loaded), then answers CPU-time and memory
// requests until the parent closes the channel. Run with --expose-gc for `memory` with `gc`.
import { answerRequests, notifyParent } from './ipc.js';
import { SERVER_KINDS, type ServerKind, startEchoServer } from './servers.js';

/** The most this process may live, whatever the parent does: it must stop by itself. */
const LIFETIME_MS = 15 * 60 * 1000;

const kind = process.argv[2] as ServerKind;
const deflate = process.argv[3] === 'deflate';
if (!SERVER_KINDS.includes(kind) || (process.argv[3] !== undefined && !deflate)) {
  throw new TypeError(`usage: server-process.js ${SERVER_KINDS.join('|')} [deflate]`);
}

const server = await startEchoServer(kind, { deflate });
setTimeout(() => process.exit(2), LIFETIME_MS).unref();

const collect = (globalThis as { gc?: () => void }).gc;

async function collectGarbage(): Promise<void> {
  if (collect === undefined) throw new Error('memory with gc needs node --expose-gc');
  // Several passes, a turn apart: one pass can leave finalizers and weak callbacks for the next.
  for (let i = 0; i < 3; i++) {
    collect();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

answerRequests(async (request) => {
  switch (request.type) {
    case 'usage':
      return { cpu: server.cpuUsage?.() ?? process.cpuUsage(), connections: server.connections() };
    case 'memory':
      if (request.gc === true) await collectGarbage();
      return { memory: process.memoryUsage(), connections: server.connections() };
    case 'stop':
      await server.close();
      return {};
    default:
      throw new Error(`unknown request ${request.type}`);
  }
});

const peer = kind === 'ws' ? (await import('../support/ws-peer.js')).peerInfo() : undefined;
notifyParent({ type: 'ready', url: server.url, peer });
