// Liveness: the session's timers on an injected clock. The idle timer closes a connection
// that has been silent too long, the ping timer sends a keepalive ping after silence, the
// pong timer drops a peer that answers nothing, and the close timer destroys a transport
// that lingers after the closing handshake. Timers are re-armed for the remainder rather
// than reset on every chunk, so receiving costs one clock read.
//
// States: watching (idle and keepalive timers may run) → closing (only the close timer) →
// stopped (no timer).
import type { ResolvedSessionOptions } from './options.js';
import type { Clock } from './types.js';

/** What the timers ask their session to do. */
export interface LivenessActions {
  /** Nothing was received for `idleTimeout`: close with 1001. */
  idle(): void;
  /** Nothing was received for `pingInterval`: send a ping; returns false when the session can no longer send. */
  keepalivePing(): boolean;
  /** Nothing, not even a pong, arrived within `pongTimeout` after the keepalive ping. */
  pongMissing(): void;
  /** The transport did not close within `closeTimeout` after the closing handshake began. */
  closeTimedOut(): void;
}

/** The timer settings of sessions made with the same options: one object shared by all of them. */
export interface LivenessSettings {
  readonly clock: Clock;
  readonly idleTimeout: number;
  readonly pingInterval: number;
  readonly pongTimeout: number;
  readonly closeTimeout: number;
  /** An idle or keepalive timer is configured: silence must be watched from the start. */
  readonly watchesSilence: boolean;
}

const settingsByClock = new WeakMap<Clock, Map<string, LivenessSettings>>();

/**
 * The shared {@link LivenessSettings} for these options. A server's sessions all resolve the same
 * numbers, so idle connections do not each carry a copy (nor timers they never arm).
 */
export function livenessSettings(options: ResolvedSessionOptions): LivenessSettings {
  const { clock, idleTimeout, pingInterval, pongTimeout, closeTimeout } = options;
  let byValues = settingsByClock.get(clock);
  if (byValues === undefined) {
    byValues = new Map();
    settingsByClock.set(clock, byValues);
  }
  const key = `${idleTimeout}/${pingInterval}/${pongTimeout}/${closeTimeout}`;
  let settings = byValues.get(key);
  if (settings === undefined) {
    settings = Object.freeze({
      clock,
      idleTimeout,
      pingInterval,
      pongTimeout,
      closeTimeout,
      watchesSilence: idleTimeout > 0 || pingInterval > 0,
    });
    // Bounded: a process that varies timeouts per connection keeps the most recent few.
    if (byValues.size >= 64) byValues.delete(byValues.keys().next().value!);
    byValues.set(key, settings);
  }
  return settings;
}

/** The idle, keepalive, pong and close timers of one session, made when one is first needed. */
export class Liveness {
  private readonly clock: Clock;
  private readonly idleTimeout: number;
  private readonly pingInterval: number;
  private readonly pongTimeout: number;
  private readonly closeTimeout: number;
  private readonly watchesSilence: boolean;
  private lastReceived = 0;
  private receivedSincePing = false;
  private watching = false;
  /** The transport is gone: no timer may be armed again. */
  private stopped = false;
  private closeTimer: unknown;
  private idleTimer: unknown;
  private pingTimer: unknown;
  private pongTimer: unknown;

  constructor(
    private readonly actions: LivenessActions,
    settings: LivenessSettings,
  ) {
    this.clock = settings.clock;
    this.idleTimeout = settings.idleTimeout;
    this.pingInterval = settings.pingInterval;
    this.pongTimeout = settings.pongTimeout;
    this.closeTimeout = settings.closeTimeout;
    this.watchesSilence = settings.watchesSilence;
  }

  /** Starts the idle and keepalive timers (when configured). */
  start(): void {
    this.watching = true;
    this.lastReceived = this.clock.now();
    if (this.idleTimeout > 0) this.armIdle(this.idleTimeout);
    if (this.pingInterval > 0) this.armPing(this.pingInterval);
  }

  /** Something arrived from the peer. */
  received(): void {
    if (this.watchesSilence) this.lastReceived = this.clock.now();
    this.receivedSincePing = true;
  }

  /** The closing handshake began: idle and keepalive no longer apply. */
  closing(): void {
    this.watching = false;
    this.clear(this.idleTimer);
    this.clear(this.pingTimer);
    this.clear(this.pongTimer);
    this.idleTimer = undefined;
    this.pingTimer = undefined;
    this.pongTimer = undefined;
  }

  /** Arms the close timer once (0 = wait forever). */
  armCloseTimer(): void {
    if (this.closeTimer !== undefined || this.closeTimeout === 0 || this.stopped) return;
    this.closeTimer = this.clock.setTimeout(() => {
      this.closeTimer = undefined;
      this.actions.closeTimedOut();
    }, this.closeTimeout);
  }

  /** Whether the close timer runs. */
  get closeTimerArmed(): boolean {
    return this.closeTimer !== undefined;
  }

  /** The transport closed: clears every timer. */
  stop(): void {
    this.closing();
    this.clear(this.closeTimer);
    this.closeTimer = undefined;
    this.stopped = true;
  }

  private armIdle(delay: number): void {
    this.idleTimer = this.clock.setTimeout(() => this.onIdleTimer(), delay);
  }

  private onIdleTimer(): void {
    this.idleTimer = undefined;
    if (!this.watching) return;
    const quiet = this.clock.now() - this.lastReceived;
    if (quiet < this.idleTimeout) {
      this.armIdle(this.idleTimeout - quiet);
      return;
    }
    this.actions.idle();
  }

  private armPing(delay: number): void {
    this.pingTimer = this.clock.setTimeout(() => this.onPingTimer(), delay);
  }

  private onPingTimer(): void {
    this.pingTimer = undefined;
    if (!this.watching) return;
    const quiet = this.clock.now() - this.lastReceived;
    if (quiet < this.pingInterval) {
      this.armPing(this.pingInterval - quiet);
      return;
    }
    this.receivedSincePing = false;
    if (!this.actions.keepalivePing() || !this.watching) return;
    if (this.pongTimeout > 0) {
      this.pongTimer = this.clock.setTimeout(() => this.onPongTimer(), this.pongTimeout);
    } else {
      this.armPing(this.pingInterval);
    }
  }

  private onPongTimer(): void {
    this.pongTimer = undefined;
    if (!this.watching) return;
    if (this.receivedSincePing) {
      this.armPing(Math.max(0, this.pingInterval - (this.clock.now() - this.lastReceived)));
      return;
    }
    // Nothing at all, not even the pong, since the ping: the peer or the path is gone.
    this.actions.pongMissing();
  }

  private clear(handle: unknown): void {
    if (handle !== undefined) this.clock.clearTimeout(handle);
  }
}
