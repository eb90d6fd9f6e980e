// createWebSocketStream: a Duplex over a WebSocket, as ws 8's lib/stream.js behaves: messages
// are pushed as chunks (pausing the socket when the stream is full), writes are sent as
// messages with their callbacks, ending the writable side closes the WebSocket, destroying the
// stream terminates it, and a WebSocket error destroys the stream with it.
import { Duplex, type DuplexOptions } from 'node:stream';
import type { WebSocket } from './websocket.js';

function emitClose(stream: Duplex): void {
  stream.emit('close');
}

function duplexOnEnd(this: Duplex): void {
  if (!this.destroyed && this.writableFinished) this.destroy();
}

function duplexOnError(this: Duplex, error: Error): void {
  this.removeListener('error', duplexOnError);
  this.destroy();
  // Nobody else listens: let the error be seen, as ws does.
  if (this.listenerCount('error') === 0) this.emit('error', error);
}

/** A Duplex over `ws`; `options` are Duplex options (`objectMode` only affects the readable side's text). */
export function createWebSocketStream(ws: WebSocket, options?: DuplexOptions): Duplex {
  let terminateOnDestroy = true;
  const duplex = new Duplex({
    ...options,
    autoDestroy: false,
    emitClose: false,
    objectMode: false,
    writableObjectMode: false,
  });

  ws.on('message', (message: Buffer, isBinary: boolean) => {
    const data = !isBinary && duplex.readableObjectMode ? message.toString() : message;
    if (!duplex.push(data)) ws.pause();
  });
  ws.once('error', (error: Error) => {
    if (duplex.destroyed) return;
    terminateOnDestroy = false;
    duplex.destroy(error);
  });
  ws.once('close', () => {
    if (duplex.destroyed) return;
    duplex.push(null);
  });

  duplex._destroy = (error, callback) => {
    if (ws.readyState === ws.CLOSED) {
      callback(error);
      process.nextTick(emitClose, duplex);
      return;
    }
    let called = false;
    ws.once('error', (wsError: Error) => {
      called = true;
      callback(wsError);
    });
    ws.once('close', () => {
      if (!called) callback(error);
      process.nextTick(emitClose, duplex);
    });
    if (terminateOnDestroy) ws.terminate();
  };

  duplex._final = (callback) => {
    if (ws.readyState === ws.CONNECTING) {
      ws.once('open', () => duplex._final(callback));
      return;
    }
    if (ws.readyState === ws.CLOSED) {
      callback();
      if (duplex.readableEnded) duplex.destroy();
      return;
    }
    // ws waits for its socket's 'finish'; the engine ends the socket once the close handshake is done.
    ws.once('close', () => callback());
    ws.close();
  };

  duplex._read = () => {
    if (ws.isPaused) ws.resume();
  };

  duplex._write = (chunk, encoding, callback) => {
    if (ws.readyState === ws.CONNECTING) {
      ws.once('open', () => duplex._write(chunk, encoding, callback));
      return;
    }
    ws.send(chunk, callback);
  };

  duplex.on('end', duplexOnEnd);
  duplex.on('error', duplexOnError);
  return duplex;
}
