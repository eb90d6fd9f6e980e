// The frame inspector, browser-safe: inspect() decodes one side's WebSocket bytes frame by
// frame; decodeCapture()/inspectCapture() read captures (raw, hex, base64, pcap, pcapng).
export {
  type CaptureStream,
  type DecodedCapture,
  decodeCapture,
  type InspectCaptureOptions,
  inspectCapture,
} from './capture.js';
export {
  type InspectDeflateOptions,
  type InspectError,
  type InspectFrame,
  type InspectMessage,
  type InspectOptions,
  type InspectResult,
  inspect,
} from './inspect.js';
