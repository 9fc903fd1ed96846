import { utf8ToBase64 } from "../internal/base64url.ts";

/** `application/x-www-form-urlencoded` encoding, as RFC 6749 §2.3.1 wants for Basic credentials. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replaceAll("%20", "+");
}

/**
 * The `Authorization` header of `client_secret_basic`: id and secret form-encoded, joined by a
 * colon, base64 of the UTF-8.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${utf8ToBase64(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`;
}
