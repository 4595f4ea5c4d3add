// Reading an HTTP answer's body with a bound: a provider that streams without end is cut off, not buffered.

/** A body as undici and node:http give it: chunks, and a way to stop reading. */
type Body = AsyncIterable<unknown> & { destroy(): unknown };

/** The body's bytes; over `limit` the body is destroyed and `tooLarge(message)` thrown. */
export async function readBounded(
  body: Body,
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
