// The facades over a session in one import: the message iterator and its close error.
export { CLEAN_CLOSE_CODES, CloseError, isCleanClose } from './close-error.js';
export {
  DEFAULT_MESSAGE_HIGH_WATER_MARK,
  type Message,
  type MessageHandlerOptions,
  type MessagesOptions,
  messageHandler,
  messages,
} from './messages.js';
