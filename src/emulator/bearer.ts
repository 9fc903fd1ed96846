/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or `null`. */
export function bearerToken(request: Request): string | null {
  const match = /^Bearer +(\S+) *$/i.exec(request.headers.get("authorization") ?? "");
  return match?.[1] ?? null;
}
