/**
 * A request's `application/x-www-form-urlencoded` body, parsed. Read as bytes: workerd warns
 * ("Called .text() on an HTTP body which does not appear to be text") when a form body is read
 * with `.text()`, and a green run should print nothing a reader has to explain away.
 */
export async function formBody(request: Request | undefined): Promise<URLSearchParams> {
  if (request === undefined) throw new Error("no request was sent");
  return new URLSearchParams(new TextDecoder().decode(await request.arrayBuffer()));
}
