// The booleans of a WebSocketSession as bits of one number: ten fields of their own would cost
// 80 bytes on every connection, idle ones included. The session reads and writes them as
// ordinary properties through these accessors.

const INFLATING = 1;
const EVENTS_DISCARDED = 2;
const PEER_ENDED = 4;
const HELD_FOR_BACKLOG = 8;
const ACTIVATED = 16;
const TRANSPORT_CLOSED = 32;
const IN_TURN = 64;
const FLUSH_SCHEDULED = 128;
const HANDLER_FAILED = 256;
const TRANSPORT_ERROR_REPORTED = 512;

/** The flags half of a session; {@link WebSocketSession} extends it. */
export abstract class SessionFlags {
  private flags = 0;

  private has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }

  private put(flag: number, on: boolean): void {
    this.flags = on ? this.flags | flag : this.flags & ~flag;
  }

  /** A received compressed message is with zlib: later events wait. */
  protected get inflating(): boolean {
    return this.has(INFLATING);
  }
  protected set inflating(on: boolean) {
    this.put(INFLATING, on);
  }

  /** We failed the connection above the protocol (inflation): later events are dropped. */
  protected get eventsDiscarded(): boolean {
    return this.has(EVENTS_DISCARDED);
  }
  protected set eventsDiscarded(on: boolean) {
    this.put(EVENTS_DISCARDED, on);
  }

  /** The peer ended its side (TCP FIN): ours ends after what is still due. */
  protected get peerEnded(): boolean {
    return this.has(PEER_ENDED);
  }
  protected set peerEnded(on: boolean) {
    this.put(PEER_ENDED, on);
  }

  /** Reading stopped: too many messages wait behind one with zlib. */
  protected get heldForBacklog(): boolean {
    return this.has(HELD_FOR_BACKLOG);
  }
  protected set heldForBacklog(on: boolean) {
    this.put(HELD_FOR_BACKLOG, on);
  }

  protected get activated(): boolean {
    return this.has(ACTIVATED);
  }
  protected set activated(on: boolean) {
    this.put(ACTIVATED, on);
  }

  protected get transportClosed(): boolean {
    return this.has(TRANSPORT_CLOSED);
  }
  protected set transportClosed(on: boolean) {
    this.put(TRANSPORT_CLOSED, on);
  }

  protected get inTurn(): boolean {
    return this.has(IN_TURN);
  }
  protected set inTurn(on: boolean) {
    this.put(IN_TURN, on);
  }

  protected get flushScheduled(): boolean {
    return this.has(FLUSH_SCHEDULED);
  }
  protected set flushScheduled(on: boolean) {
    this.put(FLUSH_SCHEDULED, on);
  }

  protected get handlerFailed(): boolean {
    return this.has(HANDLER_FAILED);
  }
  protected set handlerFailed(on: boolean) {
    this.put(HANDLER_FAILED, on);
  }

  protected get transportErrorReported(): boolean {
    return this.has(TRANSPORT_ERROR_REPORTED);
  }
  protected set transportErrorReported(on: boolean) {
    this.put(TRANSPORT_ERROR_REPORTED, on);
  }
}
