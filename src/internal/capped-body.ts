/**
 * Reads a body stream, but never more than `max` bytes: past that the stream is cancelled and
 * the answer is `undefined`, whatever `Content-Length` claimed. `read` lets the caller put a
 * deadline on each read.
 *
 * @example
 * const bytes = request.body === null ? new Uint8Array() : await readUpTo(request.body, 16_384);
 * if (bytes === undefined) return new Response("Payload Too Large", { status: 413 });
 */
export async function readUpTo(
  stream: ReadableStream<Uint8Array>,
  max: number,
  read: <T>(pending: Promise<T>) => Promise<T> = (pending) => pending,
): Promise<Uint8Array | undefined> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await read(reader.read());
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
