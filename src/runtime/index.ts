export { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FrameDecoder, FrameError, TAG_BYTES } from './frames.ts';
export type { Frame, FrameErrorCode } from './frames.ts';
export { stderrLogger } from './log.ts';
export type { LogEntry, Logger } from './log.ts';
export { Transport } from './transport.ts';
export type { PeerAddress, PeerStats, TransportOptions } from './transport.ts';
export { RuntimeNode } from './node.ts';
export type { RuntimeNodeOptions } from './node.ts';
