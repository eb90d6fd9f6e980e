// Sessions made with the same timeouts share one LivenessSettings object, so an idle connection
// carries no copy of them; the cache keys on the clock and every timeout, and stays bounded.
import { describe, expect, it } from 'vitest';
import { livenessSettings } from '../../src/session/liveness.js';
import { resolveSessionOptions } from '../../src/session/options.js';
import type { Clock } from '../../src/session/types.js';

function fakeClock(): Clock {
  return { setTimeout: () => 0, clearTimeout: () => {}, now: () => 0 };
}

describe('livenessSettings', () => {
  it('hands sessions with the same clock and timeouts the same frozen object', () => {
    const clock = fakeClock();
    const first = livenessSettings(resolveSessionOptions({ clock, idleTimeout: 1000 }));
    const second = livenessSettings(resolveSessionOptions({ clock, idleTimeout: 1000, maxMessage: 10 }));
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(first).toMatchObject({
      idleTimeout: 1000,
      pingInterval: 0,
      closeTimeout: 5000,
      watchesSilence: true,
    });
  });

  it.each([
    ['another idle timeout', { idleTimeout: 2000 }],
    ['a ping interval', { pingInterval: 20_000 }],
    ['another pong timeout', { pongTimeout: 1 }],
    ['another close timeout', { closeTimeout: 1 }],
  ])('keeps %s apart', (_, change) => {
    const clock = fakeClock();
    const base = livenessSettings(resolveSessionOptions({ clock }));
    const changed = livenessSettings(resolveSessionOptions({ clock, ...change }));
    expect(changed).not.toBe(base);
    expect(changed).toMatchObject(change);
    expect(base.watchesSilence).toBe(false);
  });

  it('keeps clocks apart', () => {
    const a = livenessSettings(resolveSessionOptions({ clock: fakeClock() }));
    const b = livenessSettings(resolveSessionOptions({ clock: fakeClock() }));
    expect(a).not.toBe(b);
  });

  it('keeps at most 64 sets of timeouts per clock, the newest', () => {
    const clock = fakeClock();
    const made = Array.from({ length: 100 }, (_, i) =>
      livenessSettings(resolveSessionOptions({ clock, closeTimeout: i + 1 })),
    );
    expect(livenessSettings(resolveSessionOptions({ clock, closeTimeout: 100 }))).toBe(made[99]);
    expect(livenessSettings(resolveSessionOptions({ clock, closeTimeout: 1 }))).not.toBe(made[0]);
  });
});
