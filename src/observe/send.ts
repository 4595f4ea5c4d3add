// Sending alert webhooks: one POST each, with a deadline. A URL is a secret: failures name the webhook by
// its label (position and kind) and the HTTP status, never the URL, and error texts are scrubbed of URLs.

import type { WebhookPost } from '../monitor/webhooks.js';
import { readBounded } from '../fetch/body.js';

export interface PostOutcome {
  label: string;
  ok: boolean;
  /** Why not, without the URL. */
  error?: string;
}

export async function sendPosts(posts: readonly WebhookPost[], timeoutMs = 5000): Promise<PostOutcome[]> {
  // undici loads here, when there is something to send: every command's start would otherwise pay for it.
  const { request } = await import('undici');
  return Promise.all(
    posts.map(async (post): Promise<PostOutcome> => {
      try {
        const answer = await request(post.url, {
          method: 'POST',
          body: post.body,
          headers: { 'content-type': 'application/json' },
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await readBounded(answer.body, 65_536).catch(() => undefined);
        if (answer.statusCode >= 200 && answer.statusCode < 300) return { label: post.label, ok: true };
        return { label: post.label, ok: false, error: `HTTP ${answer.statusCode}` };
      } catch (error) {
        const message = (error instanceof Error ? error.message : String(error)).replace(/[A-Za-z][A-Za-z0-9+.-]*:\/\/\S*/g, '<url>');
        return { label: post.label, ok: false, error: message.slice(0, 200) };
      }
    }),
  );
}
