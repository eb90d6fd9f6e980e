// send()'s return value, drain, control frames above the high-water mark, pause/resume.
import { describe, expect, it } from 'vitest';
import { recorder, serverWithRawClient, settle } from './helpers.js';

const manual = { manual: true, highWaterMark: 1024 };

describe('backpressure', () => {
  it('returns false at the high-water mark, counting queued bytes, and drains once', async () => {
    const handler = recorder();
    const { session, transport } = serverWithRawClient(handler, { highWaterMark: 1024 }, manual);
    session.activate();
    expect(session.send(new Uint8Array(600))).toBe(true);
    expect(session.bufferedAmount).toBe(604);
    // Not written yet, but already counted: a loop of sends sees the mark in the same turn.
    expect(session.send(new Uint8Array(600))).toBe(false);
    expect(session.bufferedAmount).toBe(1208);
    await settle();
    expect(transport.bufferedAmount).toBe(1208);
    expect(handler.log).toEqual(['open']);
    transport.deliver();
    expect(session.bufferedAmount).toBe(0);
    expect(handler.log).toEqual(['open', 'drain']);
    session.send(new Uint8Array(10));
    await settle();
    transport.deliver();
    expect(handler.log).toEqual(['open', 'drain']);
  });

  it('still sends what was refused with false: false is a signal, not a drop', async () => {
    const { session, peer, transport } = serverWithRawClient(recorder(), { highWaterMark: 100 }, manual);
    session.activate();
    for (let i = 0; i < 5; i++) session.send(new Uint8Array(50));
    await settle();
    transport.deliver();
    expect(peer.summary()).toEqual(Array(5).fill('binary:50'));
  });

  it('never holds back control frames above the mark: pings, automatic pongs and the close', async () => {
    const { session, peer, transport } = serverWithRawClient(recorder(), { highWaterMark: 100 }, manual);
    session.activate();
    expect(session.send(new Uint8Array(200))).toBe(false);
    session.ping('mine');
    peer.send(9, 'yours');
    peer.transport.deliver();
    session.close(1000, 'enough');
    await settle();
    transport.deliver();
    expect(peer.summary()).toEqual(['binary:200', 'ping:mine', 'pong:yours', 'close:1000:enough']);
  });

  it('fires no drain when send never returned false', async () => {
    const handler = recorder();
    const { session, transport } = serverWithRawClient(handler, { highWaterMark: 1024 }, manual);
    session.activate();
    session.send(new Uint8Array(1000));
    await settle();
    transport.deliver();
    expect(handler.log).toEqual(['open']);
  });

  it('pause() stops delivery and resume() restarts it', async () => {
    const handler = recorder();
    const { session, peer } = serverWithRawClient(handler);
    session.activate();
    session.pause();
    peer.send(1, 'held');
    await settle();
    expect(handler.log).toEqual(['open']);
    session.resume();
    await settle();
    expect(handler.log).toEqual(['open', 'text:held']);
  });
});

describe('a peer that does not read', () => {
  it('is not read from while our unsent bytes are over twice the mark, then is again', async () => {
    const { session, peer, transport } = serverWithRawClient(recorder(), { highWaterMark: 1024 }, manual);
    session.activate();
    // Ping i carries i in its first byte; each is answered by a 127-byte pong.
    const ping = (i: number) =>
      peer.frame(
        9,
        Uint8Array.from({ length: 125 }, (_, k) => (k === 0 ? i : 0)),
      );
    // 100 pings per write, 5 writes: 63.5 KB of pongs if all were read and answered.
    for (let w = 0; w < 5; w++) peer.transport.write(Array.from({ length: 100 }, (_, i) => ping(i + 1)));
    for (let i = 0; i < 5; i++) {
      peer.transport.deliver();
      await settle();
    }
    // Per read, 4 KiB of pongs go out and the 33rd answers the latest ping (PONG_BUDGET_BYTES).
    // The limit is 16 KiB (2 × 1024 is less): four reads, then reads stop.
    expect(transport.bufferedAmount).toBe(4 * 33 * 127);
    transport.deliver();
    await settle();
    for (let i = 0; i < 5; i++) {
      peer.transport.deliver();
      await settle();
      transport.deliver();
      await settle();
    }
    const pongs = peer.frames().map((frame) => Number.parseInt(frame.payload.slice(0, 2), 16));
    const perRead = [...Array.from({ length: 32 }, (_, i) => i + 1), 100];
    expect(pongs).toEqual([...perRead, ...perRead, ...perRead, ...perRead, ...perRead]);
  });
});
