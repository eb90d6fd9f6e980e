// send()'s callback (fires once the message's frames were handed to the transport, or with an
// error when they never will be) and setHandler() (a handler per session).
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../src/session/memory-pair.js';
import { accept } from '../../src/session/start.js';
import { handshake, RawPeer, recorder, serverWithRawClient, settle } from './helpers.js';

describe('send(data, options, callback)', () => {
  it('calls back after the write that carried the message, not before', async () => {
    const { session, transport } = serverWithRawClient(recorder(), {}, { manual: true });
    session.activate();
    const calls: Array<Error | undefined> = [];
    session.send('hello', undefined, (error) => calls.push(error));
    expect(transport.writeCount).toBe(0);
    expect(calls).toEqual([]);
    await settle();
    expect(transport.writeCount).toBe(1);
    expect(calls).toEqual([undefined]);
  });

  it('waits while the transport is backed up, and calls back once the frames leave', async () => {
    const { session, transport } = serverWithRawClient(recorder(), { highWaterMark: 1024 }, { manual: true });
    session.activate();
    const calls: string[] = [];
    session.send(new Uint8Array(32 * 1024), undefined, () => calls.push('big'));
    await settle();
    expect(calls).toEqual(['big']);
    // The transport holds 32 KiB unsent (over 16 KiB): the next message stays in the protocol.
    session.send('small', undefined, (error) => calls.push(error === undefined ? 'small' : error.message));
    await settle();
    expect(calls).toEqual(['big']);
    transport.deliver();
    await settle();
    expect(calls).toEqual(['big', 'small']);
  });

  it('calls back in send order', async () => {
    const { session } = serverWithRawClient(recorder());
    session.activate();
    const calls: number[] = [];
    for (let i = 0; i < 5; i++) session.send(`m${i}`, undefined, () => calls.push(i));
    await settle();
    expect(calls).toEqual([0, 1, 2, 3, 4]);
  });

  it('calls back with an error when the session is closing', async () => {
    const { session } = serverWithRawClient(recorder());
    session.activate();
    session.close(1000);
    const calls: Array<Error | undefined> = [];
    expect(session.send('late', undefined, (error) => calls.push(error))).toBe(false);
    expect(calls).toEqual([]);
    await settle();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toBeInstanceOf(Error);
    expect(calls[0]!.message).toMatch(/closing/);
  });

  it('calls back with an error when the connection drops before the frames were written', async () => {
    const { session, transport } = serverWithRawClient(recorder(), { highWaterMark: 1024 }, { manual: true });
    session.activate();
    session.send(new Uint8Array(32 * 1024));
    await settle();
    const calls: Array<Error | undefined> = [];
    session.send('held', undefined, (error) => calls.push(error));
    await settle();
    transport.destroy();
    await settle();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.message).toMatch(/closed before the message was written/);
  });

  it('treats a callback that throws as a handler that throws (1011)', async () => {
    const log = recorder();
    const { session, peer } = serverWithRawClient(log);
    session.activate();
    session.send('x', undefined, () => {
      throw new Error('boom');
    });
    await settle();
    await settle();
    expect(log.log).toContain('error:boom');
    expect(peer.summary()).toEqual(['text:x', 'close:1011:internal error']);
  });
});

describe('setHandler()', () => {
  it('sends every later event to the new handler', async () => {
    const first = recorder();
    const second = recorder();
    const [serverSide, clientSide] = createMemoryPair();
    const session = accept(serverSide, handshake(), first);
    const peer = new RawPeer(clientSide, true);
    session.activate();
    peer.send(1, 'one');
    await settle();
    session.setHandler(second);
    expect(session.handler).toBe(second);
    peer.send(1, 'two');
    peer.send(8, peer.closeBody(1000));
    await settle();
    session.terminate();
    await settle();
    expect(first.log).toEqual(['open', 'text:one']);
    expect(second.log).toEqual(['text:two', 'close:1000:']);
  });

  it('gives each session its own handler from open()', async () => {
    const perSession: string[][] = [];
    const shared = {
      open(session: import('../../src/session/types.js').Session) {
        const log: string[] = [];
        perSession.push(log);
        session.setHandler({ message: (_s, data) => log.push(String(data)) });
      },
      message() {
        throw new Error('not reached');
      },
    };
    const a = serverWithRawClient(shared);
    const b = serverWithRawClient(shared);
    a.session.activate();
    b.session.activate();
    a.peer.send(1, 'for a');
    b.peer.send(1, 'for b');
    await settle();
    expect(perSession).toEqual([['for a'], ['for b']]);
  });

  it('refuses a handler without message', () => {
    const { session } = serverWithRawClient(recorder());
    expect(() => session.setHandler({} as never)).toThrow(TypeError);
  });
});

describe('text sent as bytes', () => {
  it('is checked with options.validateUtf8 when given, and refused with TypeError when not UTF-8', async () => {
    const checked: number[] = [];
    const validateUtf8 = (bytes: Uint8Array) => {
      checked.push(bytes.length);
      return new TextDecoder().decode(bytes) !== '\ufffd';
    };
    const { session, peer } = serverWithRawClient(recorder(), { validateUtf8 });
    session.activate();
    session.send(new TextEncoder().encode('ok'), { binary: false });
    expect(() => session.send(new Uint8Array([0xff]), { binary: false })).toThrow(TypeError);
    expect(checked).toEqual([2, 1]);
    await settle();
    expect(peer.summary()).toEqual(['text:ok']);
  });
});
