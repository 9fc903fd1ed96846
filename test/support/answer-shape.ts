/**
 * What an answer of the broker must look like, whatever it was asked: never a 5xx and never a
 * 1xx or (from the broker itself) a 3xx; every 4xx RFC 6749 §5.2 JSON — `error` and
 * `error_description` in the characters §5.2 allows and no other members but RFC 6750's `scope`
 * — with `Cache-Control: no-store`; a 401 with `WWW-Authenticate` (Basic where client
 * credentials go, Bearer at the proxy), a 405 with `Allow` that does not list the method
 * refused, a 429 with `Retry-After`; successes in their RFC's shape; and nothing secret: no
 * client secret, no token the request presented, no provider credential. An answer the proxy
 * passed on from upstream is the provider's: only the status and the secrets are checked.
 */
import { PATHS } from "../../worker/routes.ts";
import { type FuzzRequest, summarize } from "./fuzz-requests.ts";

export type Kind = "oauth" | "bearer" | "public";

/** RFC 6749 §5.2: `error` and `error_description` are %x20-21 / %x23-5B / %x5D-7E. */
const ERROR_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/;
/** What an error body may hold: §5.2's members, and RFC 6750 §3's `scope`. */
const ERROR_MEMBERS = new Set(["error", "error_description", "error_uri", "scope"]);

export interface Answer {
  /** The method the request was sent with (after the platform normalised it). */
  method: string;
  fuzz: FuzzRequest;
  response: Response;
  text: string;
  /** The proxy sent it upstream: the status and body are the provider's. */
  upstream: boolean;
}

export class Broken extends Error {
  override name = "Broken";
}

function broken(answer: Answer, what: string): never {
  const { response, text, fuzz } = answer;
  throw new Broken(
    `${what}\n  answer: ${response.status} ${JSON.stringify([...response.headers])} ${text.slice(0, 300)}\n  request: ${summarize(fuzz)}`,
  );
}

/**
 * A failure report is a log line too (and the suite's leak guard reads it): every secret and
 * every JWT is taken out of it.
 */
function redacted(error: Broken, secrets: readonly string[]): Broken {
  const clean = secrets
    .filter((secret) => secret.length >= 8)
    .reduce((out, secret) => out.replaceAll(secret, "[secret]"), error.message)
    .replace(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, "[jwt]");
  return new Broken(clean);
}

function checkError(answer: Answer, kind: Kind, path: string): void {
  const { response, text, method } = answer;
  const status = response.status;
  const type = response.headers.get("content-type") ?? "";
  if (!/^application\/json\b/.test(type)) broken(answer, `a ${status} that is not JSON`);
  if (!/\bno-store\b/.test(response.headers.get("cache-control") ?? "")) {
    broken(answer, `a ${status} without Cache-Control: no-store`);
  }
  // No token of any kind in a refusal: not the one presented, not one issued meanwhile.
  if (/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\./.test(text)) broken(answer, `a ${status} with a JWT`);
  if (method !== "HEAD") {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      broken(answer, `a ${status} whose body does not parse`);
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      broken(answer, `a ${status} whose body is not an object`);
    }
    const record = body as Record<string, unknown>;
    if (typeof record.error !== "string" || !ERROR_TEXT.test(record.error)) {
      broken(answer, `a ${status} without an RFC 6749 error code`);
    }
    const description = record.error_description;
    if (
      description !== undefined &&
      (typeof description !== "string" || !ERROR_TEXT.test(description))
    ) {
      broken(answer, `a ${status} whose error_description is outside RFC 6749 §5.2's characters`);
    }
    for (const member of Object.keys(record)) {
      if (!ERROR_MEMBERS.has(member)) broken(answer, `a ${status} with a member ${member}`);
    }
  }
  if (status === 401) {
    const challenge = response.headers.get("www-authenticate") ?? "";
    const scheme = kind === "bearer" ? /^Bearer realm="[^"]+"/ : /^Basic realm="[^"]+"/;
    if (!scheme.test(challenge)) broken(answer, "a 401 without the right WWW-Authenticate");
  }
  if (status === 405) {
    const allow = (response.headers.get("allow") ?? "").split(", ");
    if (allow.length === 0 || !allow.every((method) => /^[A-Z]+$/.test(method))) {
      broken(answer, "a 405 without Allow");
    }
    if (allow.includes(method)) broken(answer, "a 405 whose Allow holds the method refused");
  }
  if (status === 429 && !/^[1-9]\d*$/.test(response.headers.get("retry-after") ?? "")) {
    broken(answer, "a 429 without Retry-After");
  }
  if (status === 404 && kind !== "public" && path !== "unknown" && !path.startsWith("/proxy")) {
    broken(answer, "a 404 at an endpoint that exists");
  }
}

function checkSuccess(answer: Answer, path: string): void {
  const { response, text, method } = answer;
  if (method === "HEAD" || response.status === 204) {
    if (text !== "") broken(answer, "a body on a HEAD or 204 answer");
    return;
  }
  if (path === PATHS.revocation) {
    if (text !== "") broken(answer, "a revocation answer with a body");
    return;
  }
  const type = response.headers.get("content-type") ?? "";
  if (!/^application\/(jwk-set\+)?json\b/.test(type)) broken(answer, "a success that is not JSON");
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    broken(answer, "a success whose body does not parse");
  }
  if (path === PATHS.token || path === PATHS.demoSession) {
    const lifetime = body.expires_in;
    if (
      typeof body.access_token !== "string" ||
      body.token_type !== "Bearer" ||
      typeof lifetime !== "number" ||
      !Number.isInteger(lifetime) ||
      lifetime < 1 ||
      lifetime > 900
    ) {
      broken(answer, "a token answer that is not RFC 6749 §5.1");
    }
    if (!/\bno-store\b/.test(response.headers.get("cache-control") ?? "")) {
      broken(answer, "a token answer without Cache-Control: no-store");
    }
  }
  if (path === PATHS.introspection && typeof body.active !== "boolean") {
    broken(answer, "an introspection answer without active");
  }
}

/**
 * Throws {@link Broken} unless the answer is one the broker may give: see the file's comment.
 * `secrets` are the values no answer may hold; a `/provider-token` success holds a provider
 * token by design, so there only `always` counts.
 */
export function checkAnswer(answer: Answer, where: Where): void {
  try {
    check(answer, where);
  } catch (error) {
    throw error instanceof Broken ? redacted(error, [...where.secrets, ...where.always]) : error;
  }
}

interface Where {
  kind: Kind;
  path: string;
  secrets: readonly string[];
  always: readonly string[];
}

function check(answer: Answer, where: Where): void {
  const { kind, path, secrets } = where;
  const { response, text } = answer;
  if (response.status >= 500) broken(answer, `a ${response.status}`);
  if (
    response.status < 200 ||
    (response.status < 400 && response.status >= 300 && !answer.upstream)
  ) {
    broken(answer, `a ${response.status} the broker should not write`);
  }
  const held = path === PATHS.providerToken && response.status === 200 ? where.always : secrets;
  const seen = `${text} ${[...response.headers].map(([, value]) => value).join(" ")}`;
  const leaked = held.find((secret) => seen.includes(secret));
  if (leaked !== undefined) broken(answer, "an answer that holds a secret or a presented token");
  if (answer.upstream) return;
  if (response.status >= 400) checkError(answer, kind, path);
  else checkSuccess(answer, path);
}
