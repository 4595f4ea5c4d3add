import type { ErrorCode } from '../../errors.js';

/** A failure of one hop, turned into a TransportError for whichever host was being reached. */
export class HopError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode = 'TRANSPORT',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
