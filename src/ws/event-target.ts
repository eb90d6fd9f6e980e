// The browser-style surface `ws` adds to its WebSocket: `addEventListener`/`removeEventListener`
// and the `onopen`/`onmessage`/`onclose`/`onerror` attributes, delivering Event, MessageEvent
// (text as a string), CloseEvent and ErrorEvent objects as ws 8 does, over the emitter's events.
import type { EventEmitter } from 'node:events';

/** The `Event` ws hands to `open` listeners (and the base of the others). */
export class WsEvent {
  readonly type: string;
  target: unknown = null;
  constructor(type: string) {
    this.type = type;
  }
}

/** A `message` event: `data` is a string for text, the `binaryType` form for binary. */
export class MessageEvent extends WsEvent {
  readonly data: unknown;
  constructor(data: unknown) {
    super('message');
    this.data = data;
  }
}

/** A `close` event; `wasClean` is false only when the connection dropped (1006). */
export class CloseEvent extends WsEvent {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(code: number, reason: string) {
    super('close');
    this.code = code;
    this.reason = reason;
    this.wasClean = code !== 1006;
  }
}

/** An `error` event. */
export class ErrorEvent extends WsEvent {
  readonly error: unknown;
  readonly message: string;
  constructor(error: unknown) {
    super('error');
    this.error = error;
    this.message = error instanceof Error ? error.message : String(error);
  }
}

export type EventListenerLike = ((event: WsEvent) => void) | { handleEvent(event: WsEvent): void };

const LISTENER = Symbol('wasmws.ws.listener');
const FROM_ATTRIBUTE = Symbol('wasmws.ws.fromAttribute');

type Wrapped = ((...args: unknown[]) => void) & {
  [LISTENER]: EventListenerLike;
  [FROM_ATTRIBUTE]: boolean;
};

function eventFor(type: string, args: unknown[]): WsEvent {
  switch (type) {
    case 'message': {
      const [data, isBinary] = args as [{ toString(): string }, boolean];
      return new MessageEvent(isBinary ? data : data.toString());
    }
    case 'close': {
      const [code, reason] = args as [number, { toString(): string }];
      return new CloseEvent(code, reason.toString());
    }
    case 'error':
      return new ErrorEvent(args[0]);
    default:
      return new WsEvent(type);
  }
}

function call(target: unknown, listener: EventListenerLike, event: WsEvent): void {
  event.target = target;
  if (typeof listener === 'function') listener.call(target, event);
  else listener.handleEvent.call(listener, event);
}

const EVENT_TYPES = new Set(['open', 'message', 'close', 'error']);

/** `addEventListener` as ws has it: only its four events; the same listener is added once. */
export function addEventListener(
  emitter: EventEmitter,
  type: string,
  listener: EventListenerLike,
  options: { once?: boolean; [FROM_ATTRIBUTE]?: boolean } = {},
): void {
  if (!EVENT_TYPES.has(type)) return;
  const fromAttribute = options[FROM_ATTRIBUTE] === true;
  if (!fromAttribute) {
    for (const existing of emitter.listeners(type) as Wrapped[]) {
      if (existing[LISTENER] === listener && !existing[FROM_ATTRIBUTE]) return;
    }
  }
  const wrapped = function (this: unknown, ...args: unknown[]) {
    call(emitter, listener, eventFor(type, args));
  } as Wrapped;
  wrapped[LISTENER] = listener;
  wrapped[FROM_ATTRIBUTE] = fromAttribute;
  if (options.once === true) emitter.once(type, wrapped);
  else emitter.on(type, wrapped);
}

export function removeEventListener(emitter: EventEmitter, type: string, listener: EventListenerLike): void {
  for (const existing of emitter.listeners(type) as Wrapped[]) {
    if (existing[LISTENER] === listener && !existing[FROM_ATTRIBUTE]) {
      emitter.removeListener(type, existing);
      return;
    }
  }
}

/** The listener behind `on<type>`, or null. */
export function attributeListener(emitter: EventEmitter, type: string): EventListenerLike | null {
  for (const existing of emitter.listeners(type) as Wrapped[]) {
    if (existing[FROM_ATTRIBUTE]) return existing[LISTENER];
  }
  return null;
}

/** Sets `on<type>`: replaces the previous attribute listener; a non-function clears it. */
export function setAttributeListener(emitter: EventEmitter, type: string, listener: unknown): void {
  for (const existing of emitter.listeners(type) as Wrapped[]) {
    if (existing[FROM_ATTRIBUTE]) emitter.removeListener(type, existing);
  }
  if (typeof listener !== 'function') return;
  addEventListener(emitter, type, listener as EventListenerLike, { [FROM_ATTRIBUTE]: true });
}
