// Reading an HTTP answer's body with a bound: a provider that streams without end is cut off, not buffered.
import type { Dispatcher } from 'undici';

/** The body's bytes; over `limit` the body is destroyed and `tooLarge(message)` thrown. */
export async function readBounded(
  body: Dispatcher.ResponseData['body'],
  limit: number,
  tooLarge: (message: string) => Error = (message) => new Error(message),
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw tooLarge(`answer larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
