import { describe, expect, it } from 'vitest';
import { createMemoryPair, type MemoryTransport } from '../../src/session/memory-pair.js';
import type { TransportEvents } from '../../src/session/types.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

/** Lets every queued microtask run (setImmediate comes after them all). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Recorder extends TransportEvents {
  log: string[];
  received: number[];
}

function record(transport: MemoryTransport): Recorder {
  const recorder: Recorder = {
    log: [],
    received: [],
    data(chunk) {
      recorder.log.push(`data:${chunk.length}`);
      recorder.received.push(...chunk);
    },
    end: () => recorder.log.push('end'),
    drain: () => recorder.log.push('drain'),
    error: (error) => recorder.log.push(`error:${error.message}`),
    closed: () => recorder.log.push('closed'),
  };
  transport.attach(recorder);
  return recorder;
}

describe('createMemoryPair', () => {
  it('delivers each write as one chunk, later, in order', async () => {
    const [a, b] = createMemoryPair();
    const atB = record(b);
    b.resume();
    a.write([bytes(1, 2), bytes(3)]);
    a.write([bytes(4)]);
    expect(atB.log).toEqual([]);
    await settle();
    expect(atB.log).toEqual(['data:3', 'data:1']);
    expect(atB.received).toEqual([1, 2, 3, 4]);
    expect(a.writeCount).toBe(2);
  });

  it('delivers nothing before resume() and nothing while paused', async () => {
    const [a, b] = createMemoryPair();
    const atB = record(b);
    a.write([bytes(1)]);
    await settle();
    expect(atB.log).toEqual([]);
    b.resume();
    await settle();
    expect(atB.received).toEqual([1]);
    b.pause();
    a.write([bytes(2)]);
    await settle();
    expect(atB.received).toEqual([1]);
    b.resume();
    await settle();
    expect(atB.received).toEqual([1, 2]);
  });

  it('counts written bytes as buffered until the peer receives them', async () => {
    const [a, b] = createMemoryPair();
    record(b);
    a.write([new Uint8Array(10), new Uint8Array(5)]);
    expect(a.bufferedAmount).toBe(15);
    expect(b.bufferedAmount).toBe(0);
    b.resume();
    await settle();
    expect(a.bufferedAmount).toBe(0);
  });

  it('emits drain once the buffer falls below the high-water mark, in manual mode on deliver()', () => {
    const [a, b] = createMemoryPair({ highWaterMark: 8, manual: true });
    const atA = record(a);
    const atB = record(b);
    b.resume();
    a.write([new Uint8Array(4)]);
    a.write([new Uint8Array(4)]);
    expect(a.bufferedAmount).toBe(8);
    expect(atB.log).toEqual([]);
    expect(a.deliver()).toBe(8);
    expect(atB.log).toEqual(['data:4', 'data:4']);
    expect(atA.log).toEqual(['drain']);
    expect(a.bufferedAmount).toBe(0);
  });

  it('does not emit drain when the buffer never reached the mark', () => {
    const [a, b] = createMemoryPair({ highWaterMark: 8, manual: true });
    const atA = record(a);
    record(b);
    b.resume();
    a.write([new Uint8Array(7)]);
    a.deliver();
    expect(atA.log).toEqual([]);
  });

  it('passes end to the peer after the data before it, and closes each side once both ended', async () => {
    const [a, b] = createMemoryPair();
    const atA = record(a);
    const atB = record(b);
    a.resume();
    b.resume();
    a.write([bytes(1)]);
    a.end();
    await settle();
    expect(atB.log).toEqual(['data:1', 'end']);
    expect(a.closed || b.closed).toBe(false);
    b.end();
    await settle();
    expect(atA.log).toEqual(['end', 'closed']);
    expect(atB.log).toEqual(['data:1', 'end', 'closed']);
  });

  it('stays half-open while the peer never ends', async () => {
    const [a, b] = createMemoryPair();
    record(a);
    const atB = record(b);
    b.resume();
    a.end();
    await settle();
    expect(atB.log).toEqual(['end']);
    expect(a.closed).toBe(false);
    expect(b.closed).toBe(false);
  });

  it('refuses writes after end', () => {
    const [a] = createMemoryPair();
    a.end();
    expect(() => a.write([bytes(1)])).toThrow('write after end');
  });

  it('destroy closes both sides and drops what was not delivered', async () => {
    const [a, b] = createMemoryPair({ manual: true });
    const atA = record(a);
    const atB = record(b);
    b.resume();
    a.write([bytes(1, 2, 3)]);
    a.destroy();
    expect(a.bufferedAmount).toBe(0);
    await settle();
    expect(a.deliver()).toBe(0);
    expect(atA.log).toEqual(['closed']);
    expect(atB.log).toEqual(['closed']);
    a.destroy();
    b.destroy();
    await settle();
    expect(atA.log).toEqual(['closed']);
  });

  it('injectError reports the error on that side, then closes both', async () => {
    const [a, b] = createMemoryPair();
    const atA = record(a);
    const atB = record(b);
    a.injectError(new Error('ECONNRESET'));
    await settle();
    expect(atA.log).toEqual(['error:ECONNRESET', 'closed']);
    expect(atB.log).toEqual(['closed']);
  });

  it('validates the high-water mark', () => {
    expect(() => createMemoryPair({ highWaterMark: -1 })).toThrow(RangeError);
  });
});
