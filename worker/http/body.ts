/**
 * Request bodies, read with a cap before anything is parsed: the OAuth endpoints take
 * `application/x-www-form-urlencoded` only (RFC 6749 §4.4.2, RFC 7009 §2.1, RFC 7662 §2.1),
 * each parameter at most once (RFC 6749 §3.2).
 */
import { readUpTo } from "../../src/index.ts";
import { fail, ok, type Result } from "../oauth/failure.ts";

/** The OAuth endpoints' body limit. */
export const FORM_LIMIT_BYTES = 16 * 1024;

const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;.*)?$/i;
/** Only well-formed parameter names are repeated back in an error. */
const NAMEABLE = /^[a-z_]{1,40}$/;

/** The body's bytes, refusing more than `limit` whether or not `Content-Length` says so. */
export async function readCapped(request: Request, limit: number): Promise<Result<Uint8Array>> {
  const declared = request.headers.get("content-length");
  if (declared !== null && !/^\d+$/.test(declared.trim())) {
    return fail({ kind: "invalid_request", detail: "Content-Length is malformed." });
  }
  if (declared !== null && Number(declared) > limit) {
    return fail({ kind: "payload_too_large", limitBytes: limit });
  }
  if (request.body === null) return ok(new Uint8Array());
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readUpTo(request.body, limit);
  } catch {
    return fail({ kind: "invalid_request", detail: "The body could not be read." });
  }
  if (bytes === undefined) return fail({ kind: "payload_too_large", limitBytes: limit });
  return ok(bytes);
}

/** The form parameters of a POST, or why they cannot be had. */
export async function readForm(
  request: Request,
  limit: number = FORM_LIMIT_BYTES,
): Promise<Result<URLSearchParams>> {
  const type = request.headers.get("content-type");
  if (type === null || !FORM_TYPE.test(type.trim())) {
    return fail({
      kind: "invalid_request",
      detail: "The body must be application/x-www-form-urlencoded.",
    });
  }
  const body = await readCapped(request, limit);
  if (!body.ok) return body;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body.value);
  } catch {
    return fail({ kind: "invalid_request", detail: "The body is not UTF-8." });
  }
  const params = new URLSearchParams(text);
  const seen = new Set<string>();
  for (const name of params.keys()) {
    if (seen.has(name)) {
      return fail({
        kind: "invalid_request",
        detail: NAMEABLE.test(name)
          ? `The parameter ${name} is repeated.`
          : "A parameter is repeated.",
      });
    }
    seen.add(name);
  }
  return ok(params);
}
