/**
 * Requests as an attacker or a broken client sends them, as fast-check arbitraries: any method,
 * the endpoint's path (or one near it), every content type the broker meets in the wild (forms
 * with odd charsets, JSON, text, multipart, none), bodies that are nearly right (the endpoint's
 * own parameters, dropped, repeated, re-encoded, replaced with junk), huge, binary or streamed,
 * and headers that lie: Authorization in every scheme and encoding, Origin, duplicates.
 *
 * A request is generated as data (so a failure shrinks to something readable) and built at send
 * time: `@@name@@` in a path, a header or a body stands for a live value the test holds — a
 * broker token minted moments ago, say — which no generator can know.
 */
import fc from "fast-check";
import { SCOPES } from "../../worker/oauth/scopes.ts";
import { AUDIENCE, PAYMENTS_API, PAYROLL, SHOP, type TestClient } from "./broker.ts";

/** How parameters become a body: a form in some client's spelling, JSON, or multipart. */
export type Encoding = FormStyle | "json" | "multipart";

export type FuzzBody =
  | { kind: "none" }
  | { kind: "text"; text: string }
  | { kind: "bytes"; bytes: Uint8Array }
  /**
   * Parameters, encoded when the request is built (after `@@name@@` is filled in): as UTF-8
   * text, as UTF-16 little-endian (with or without a byte-order mark), or streamed in chunks
   * without a Content-Length; `pad` bytes of `&pad=aaa…` after them.
   */
  | {
      kind: "params";
      params: Params;
      encoding: Encoding;
      wire: "text" | "utf16" | "utf16-bom" | "stream";
      chunk: number;
      pad: number;
    };

export interface FuzzRequest {
  /** What the generator meant it to be (a grant type, say), for the tally. */
  label: string;
  method: string;
  /** Path and query, with `@@name@@` placeholders. */
  target: string;
  /** In order; a name may repeat (each is appended). */
  headers: Array<[string, string]>;
  body: FuzzBody;
}

/** The live values a request may name: tokens, mostly. */
export type Kit = Readonly<Record<string, string>>;

/** The names the test's kit must hold (see `fuzz.test.ts`). */
export const KIT_NAMES = [
  "shop",
  "shop-narrow",
  "payroll",
  "payments",
  "expired",
  "revoked",
  "tampered",
  "alg-none",
  "foreign-key",
  "wrong-issuer",
  "wrong-type",
] as const;
export type KitName = (typeof KIT_NAMES)[number];

export const placeholder = (name: KitName): string => `@@${name}@@`;

/** A client the broker does not know, with a secret nobody configured. */
export const STRANGER = { id: "stranger", secret: "stranger-secret-0000" };
/** A client with a budget of its own so small the fuzz spends it: 429s from the client's own limit. */
export const TIGHT: TestClient = {
  ...SHOP,
  id: "tight",
  secret: "tight-secret-5e4d3c2b1a09",
  rateLimit: { requests: 5, windowSeconds: 60 },
};
export const FUZZ_CLIENTS: readonly TestClient[] = [SHOP, PAYROLL, PAYMENTS_API, TIGHT];

// ---- text -------------------------------------------------------------------------------

/** Strings that have broken parsers before: encodings half done, control bytes, lookalikes. */
const NASTY = [
  "",
  " ",
  "%",
  "%0",
  "%zz",
  "%00",
  "%E0%A4%A",
  "%C0%AF",
  "%FF%FE",
  "+",
  "++",
  "&",
  "=",
  "&&&===",
  "\u0000",
  "\r\n",
  "\uFEFF",
  "\uD800",
  "\u202E",
  "ｓｃｏｐｅ",
  "../../etc/passwd",
  "<script>",
  "null",
  "undefined",
  "[]",
  "{}",
  '{"a":1}',
  "NaN",
  "-1",
  "0",
  "1e309",
  "9".repeat(40),
  "__proto__",
  "constructor",
  "toString",
];

export const junk: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY), weight: 3 },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 24 }), weight: 2 },
  { arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }), weight: 1 },
  { arbitrary: fc.string({ maxLength: 4 }).map((unit) => unit.repeat(1500)), weight: 1 },
);

/** Junk for a header value, at most 8000 characters (`build` sends it as bytes). */
export const headerJunk: fc.Arbitrary<string> = junk.map((text) => text.slice(0, 8000));

// ---- form parameters --------------------------------------------------------------------

export type Params = Array<[string, string]>;

const scopeValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...SCOPES), weight: 4 },
  { arbitrary: fc.subarray([...SCOPES]).map((scopes) => scopes.join(" ")), weight: 3 },
  {
    arbitrary: fc.constantFrom(
      "ipospays:",
      ":payments",
      "papaya:payments papaya:payments",
      "openid",
    ),
    weight: 1,
  },
  { arbitrary: junk, weight: 2 },
);

const audienceValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    AUDIENCE,
    "https://payments.example",
    "https://payroll.example",
    "https://evil.example",
  ),
  junk,
);

const lifetimeValue: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: -10, max: 100_000 }).map(String),
  fc.constantFrom("0", "60", "900", "901", "1e3", " 60", "60 ", "0x10", "1.5", "9".repeat(12)),
  junk,
);

/** A token as a request might present it: one of the kit's, or junk shaped like a JWT or not. */
export const tokenValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...KIT_NAMES).map(placeholder), weight: 6 },
  {
    arbitrary: fc
      .tuple(
        fc.base64String({ maxLength: 60 }),
        fc.base64String({ maxLength: 200 }),
        fc.base64String({ maxLength: 90 }),
      )
      .map((parts) =>
        parts
          .map((part) => part.replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_"))
          .join("."),
      ),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(...KIT_NAMES).map((name) => `${placeholder(name)}.x`), weight: 1 },
  { arbitrary: junk, weight: 2 },
);

const TOKEN_TYPES = [
  "urn:ietf:params:oauth:token-type:access_token",
  "urn:ietf:params:oauth:token-type:jwt",
  "urn:ietf:params:oauth:token-type:refresh_token",
  "urn:ietf:params:oauth:token-type:id_token",
];
const tokenTypeValue = fc.oneof(
  { arbitrary: fc.constantFrom(...TOKEN_TYPES), weight: 4 },
  { arbitrary: junk, weight: 1 },
);

export const GRANT_TYPES = [
  "client_credentials",
  "urn:ietf:params:oauth:grant-type:token-exchange",
  "refresh_token",
  "authorization_code",
  "password",
  "urn:ietf:params:oauth:grant-type:jwt-bearer",
  "urn:ietf:params:oauth:grant-type:device_code",
  "CLIENT_CREDENTIALS",
];

/** What each endpoint's parameters may hold: a generator per parameter name. */
export const PARAMETERS = {
  grant_type: fc.oneof(
    { arbitrary: fc.constantFrom(...GRANT_TYPES), weight: 5 },
    { arbitrary: junk, weight: 1 },
  ),
  scope: scopeValue,
  resource: audienceValue,
  audience: audienceValue,
  expires_in: lifetimeValue,
  client_id: fc.oneof(
    fc.constantFrom(SHOP.id, PAYROLL.id, PAYMENTS_API.id, TIGHT.id, STRANGER.id),
    junk,
  ),
  client_secret: fc.oneof(
    fc.constantFrom(SHOP.secret, PAYROLL.secret, TIGHT.secret, "wrong"),
    junk,
  ),
  subject_token: tokenValue,
  subject_token_type: tokenTypeValue,
  requested_token_type: tokenTypeValue,
  actor_token: tokenValue,
  actor_token_type: tokenTypeValue,
  refresh_token: junk,
  code: junk,
  token: tokenValue,
  token_type_hint: fc.oneof(fc.constantFrom("access_token", "refresh_token"), junk),
} satisfies Record<string, fc.Arbitrary<string>>;

const parameterValue = (name: string): fc.Arbitrary<string> =>
  Object.hasOwn(PARAMETERS, name)
    ? ((PARAMETERS as Record<string, fc.Arbitrary<string>>)[name] ?? junk)
    : junk;

const parameterName = fc.oneof(
  { arbitrary: fc.constantFrom(...Object.keys(PARAMETERS)), weight: 3 },
  {
    arbitrary: fc.constantFrom(
      "Scope",
      "GRANT_TYPE",
      "scope[]",
      "scope.0",
      "__proto__",
      "",
      " scope",
    ),
    weight: 1,
  },
  { arbitrary: junk, weight: 1 },
);

/** An endpoint's parameters: those a valid request has, and those it may have. */
export interface ParamSpec {
  required: Readonly<Record<string, fc.Arbitrary<string>>>;
  optional?: Readonly<Record<string, fc.Arbitrary<string>>>;
}

/** A valid-looking request's parameters: every required one, some optional ones, in order. */
function pristine(spec: ParamSpec): fc.Arbitrary<Params> {
  const optional = spec.optional ?? {};
  return fc
    .record({
      required: fc.record(spec.required as Record<string, fc.Arbitrary<string>>),
      optional: fc.record(optional as Record<string, fc.Arbitrary<string>>, {
        requiredKeys: [],
      }),
    })
    .map(({ required, optional: chosen }) => [
      ...Object.entries(required),
      ...(Object.entries(chosen) as Params),
    ]);
}

/**
 * The endpoint's own parameters, nearly right: as a valid request has them (three times in
 * five), or some dropped, some values replaced by junk, others added, one perhaps repeated,
 * in any order.
 */
export function nearlyValid(spec: ParamSpec): fc.Arbitrary<Params> {
  const mutated = fc
    .record({
      params: pristine(spec),
      dropped: fc.nat(),
      replaced: fc.array(fc.tuple(fc.nat(), junk), { maxLength: 2 }),
      added: fc.array(
        parameterName.chain((name) => fc.tuple(fc.constant(name), parameterValue(name))),
        { maxLength: 3 },
      ),
      // One time in four, a parameter twice.
      repeated: fc.oneof(
        { arbitrary: fc.constant(null), weight: 3 },
        { arbitrary: fc.nat(), weight: 1 },
      ),
      order: fc.nat(),
    })
    .map(({ params: base, dropped, replaced, added, repeated, order }) => {
      const params: Params = base.map(([name, value]) => [name, value]);
      for (const [at, value] of replaced) {
        const entry = params[at % Math.max(1, params.length)];
        if (entry !== undefined) entry[1] = value;
      }
      if (params.length > 0 && dropped % 3 === 0) params.splice(dropped % params.length, 1);
      params.push(...added);
      const twice = repeated === null ? undefined : params[repeated % Math.max(1, params.length)];
      if (twice !== undefined) params.push([twice[0], twice[1]]);
      // A rotation is enough to move the grant type away from the front.
      const turn = params.length === 0 ? 0 : order % params.length;
      return [...params.slice(turn), ...params.slice(0, turn)];
    });
  return fc.oneof({ arbitrary: pristine(spec), weight: 3 }, { arbitrary: mutated, weight: 2 });
}

// ---- bodies and content types -----------------------------------------------------------

type FormStyle = "standard" | "raw" | "every-byte" | "double" | "plus-for-space" | "lowercase-hex";

/**
 * `encodeURIComponent` for any string: a lone surrogate becomes U+FFFD (as `TextEncoder` has it)
 * instead of a URIError.
 */
export function percentEncode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return encodeURIComponent(new TextDecoder().decode(new TextEncoder().encode(text)));
  }
}

function percentEveryByte(text: string, lower: boolean): string {
  const hex = [...new TextEncoder().encode(text)].map(
    (byte) => `%${byte.toString(16).padStart(2, "0")}`,
  );
  return lower ? hex.join("") : hex.join("").toUpperCase();
}

/** `name=value&…` the way some client somewhere writes it. */
export function encodeForm(params: Params, style: FormStyle): string {
  const encode = (text: string): string => {
    switch (style) {
      case "standard":
        return percentEncode(text);
      case "raw":
        return text;
      case "every-byte":
        return percentEveryByte(text, false);
      case "lowercase-hex":
        return percentEveryByte(text, true);
      case "double":
        return percentEncode(percentEncode(text));
      case "plus-for-space":
        return percentEncode(text).replaceAll("%20", "+");
    }
  };
  return params.map(([name, value]) => `${encode(name)}=${encode(value)}`).join("&");
}

function multipart(params: Params, boundary: string): string {
  const parts = params.map(
    ([name, value]) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return `${parts.join("")}--${boundary}--\r\n`;
}

const FORM = "application/x-www-form-urlencoded";

/** Content types, from the right one (in every spelling) to lies. */
export const contentType: fc.Arbitrary<string | null> = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      FORM,
      `${FORM}; charset=utf-8`,
      `${FORM};charset=UTF-8`,
      "APPLICATION/X-WWW-FORM-URLENCODED",
      `${FORM}; charset="utf-8"`,
      `${FORM} ; charset=utf-8`,
    ),
    weight: 40,
  },
  {
    arbitrary: fc.constantFrom(
      `${FORM}; charset=utf-16`,
      `${FORM}; charset=utf-16le`,
      `${FORM}; charset=iso-8859-1`,
      `${FORM}; charset=shift_jis`,
      `${FORM}; charset=`,
      `${FORM}; boundary=x`,
      `${FORM}X`,
      `x${FORM}`,
      `${FORM}, application/json`,
    ),
    weight: 2,
  },
  {
    arbitrary: fc.constantFrom("application/json", "application/json; charset=utf-8", "text/json"),
    weight: 2,
  },
  { arbitrary: fc.constantFrom("text/plain", "text/plain; charset=utf-8", "text/html"), weight: 1 },
  {
    arbitrary: fc.constantFrom("multipart/form-data; boundary=fuzz", "multipart/form-data"),
    weight: 1,
  },
  { arbitrary: fc.constantFrom("application/octet-stream", "*/*", ""), weight: 1 },
  { arbitrary: fc.constant(null), weight: 2 },
  { arbitrary: headerJunk, weight: 1 },
);

/** A body for these parameters: encoded some way, or not them at all. */
export function bodyFor(params: fc.Arbitrary<Params>, limitBytes: number): fc.Arbitrary<FuzzBody> {
  const encoding = fc.oneof(
    { arbitrary: fc.constant<Encoding>("standard"), weight: 24 },
    {
      arbitrary: fc.constantFrom<Encoding>(
        "raw",
        "every-byte",
        "double",
        "plus-for-space",
        "lowercase-hex",
      ),
      weight: 8,
    },
    { arbitrary: fc.constant<Encoding>("json"), weight: 3 },
    { arbitrary: fc.constant<Encoding>("multipart"), weight: 1 },
  );
  const wire = fc.oneof(
    { arbitrary: fc.constant("text" as const), weight: 12 },
    { arbitrary: fc.constantFrom("utf16" as const, "utf16-bom" as const), weight: 1 },
    { arbitrary: fc.constant("stream" as const), weight: 1 },
  );
  // Past the endpoint's limit now and then, by a little or by a lot.
  const pad = fc.oneof(
    { arbitrary: fc.constant(0), weight: 16 },
    { arbitrary: fc.integer({ min: limitBytes, max: 2 * limitBytes }), weight: 1 },
  );
  return fc.oneof(
    {
      arbitrary: fc
        .record({ params, encoding, wire, chunk: fc.integer({ min: 1, max: 4096 }), pad })
        .map((body): FuzzBody => ({ kind: "params", ...body })),
      weight: 30,
    },
    {
      arbitrary: fc
        .uint8Array({ maxLength: 256 })
        .map((bytes): FuzzBody => ({ kind: "bytes", bytes })),
      weight: 1,
    },
    { arbitrary: junk.map((text): FuzzBody => ({ kind: "text", text })), weight: 1 },
    { arbitrary: fc.constant<FuzzBody>({ kind: "none" }), weight: 1 },
  );
}

/**
 * The parameters as one JSON object, in order and with repeats kept (what `Object.fromEntries`
 * would fold). Member by member, so the suite's leak guard, which learns the `refresh_token` of
 * every JSON text it sees written, does not take the fuzz's junk for issued tokens.
 */
function jsonObject(params: Params): string {
  return `{${params.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(",")}}`;
}

/** The parameters as the body's text. */
function encodeParams(params: Params, encoding: Encoding, pad: number): string {
  const padding = pad === 0 ? "" : `&pad=${"a".repeat(pad)}`;
  if (encoding === "json") return jsonObject(params) + padding;
  if (encoding === "multipart") return multipart(params, "fuzz") + padding;
  return encodeForm(params, encoding) + padding;
}

// ---- headers ------------------------------------------------------------------------------

function utf8Binary(text: string): string {
  return String.fromCharCode(...new TextEncoder().encode(text));
}

function utf16Binary(text: string): string {
  let out = "";
  for (const unit of text) {
    const code = unit.charCodeAt(0);
    out += String.fromCharCode(code & 0xff, code >> 8);
  }
  return out;
}

const formEncode = (text: string) => percentEncode(text).replaceAll("%20", "+");

/** `Authorization: Basic` in every encoding a client might try (RFC 7617, RFC 6749 §2.3.1). */
export const basicHeader: fc.Arbitrary<string> = fc
  .record({
    client: fc.constantFrom<{ id: string; secret: string }>(
      SHOP,
      PAYROLL,
      PAYMENTS_API,
      TIGHT,
      STRANGER,
    ),
    secret: fc.oneof(
      { arbitrary: fc.constant<string | null>(null), weight: 6 },
      { arbitrary: fc.constantFrom("", "wrong", `${SHOP.secret} `), weight: 1 },
      { arbitrary: junk, weight: 1 },
    ),
    // Mostly the client's own id; one time in eight, junk.
    id: fc.oneof({ arbitrary: fc.constant(null), weight: 7 }, { arbitrary: junk, weight: 1 }),
    encoding: fc.constantFrom(
      "form",
      "raw",
      "no-padding",
      "base64url",
      "utf8-bytes",
      "utf16",
      "no-colon",
      "two-colons",
      "junk",
    ),
    scheme: fc.constantFrom(
      "Basic ",
      "basic ",
      "BASIC ",
      "Basic  ",
      "Basic\t",
      "Basic",
      "Basic=",
      "Basic  ,",
    ),
    trailing: fc.constantFrom("", "", "", " ", "  ", ",", "\t"),
  })
  .map(({ client, secret, id, encoding, scheme, trailing }) => {
    const who = id ?? client.id;
    const key = secret ?? client.secret;
    let payload: string;
    switch (encoding) {
      case "form":
        payload = btoa(utf8Binary(`${formEncode(who)}:${formEncode(key)}`));
        break;
      case "raw":
        payload = btoa(utf8Binary(`${who}:${key}`));
        break;
      case "no-padding":
        payload = btoa(utf8Binary(`${formEncode(who)}:${formEncode(key)}`)).replace(/=+$/, "");
        break;
      case "base64url":
        payload = btoa(utf8Binary(`${formEncode(who)}:${formEncode(key)}`))
          .replaceAll("+", "-")
          .replaceAll("/", "_");
        break;
      case "utf8-bytes":
        payload = btoa(utf8Binary(`${who}:${key}`));
        break;
      case "utf16":
        payload = btoa(utf16Binary(`${who}:${key}`));
        break;
      case "no-colon":
        payload = btoa(utf8Binary(`${who}${key}`));
        break;
      case "two-colons":
        payload = btoa(utf8Binary(`${who}:${key}:${key}`));
        break;
      case "junk":
        payload = utf8Binary(key).replace(/[^\x21-\x7e]/g, "");
        break;
    }
    return `${scheme}${payload}${trailing}`;
  });

export const bearerHeader: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(
      "Bearer ",
      "bearer ",
      "BEARER ",
      "Bearer  ",
      "Bearer\t",
      "Bearer",
      "Bearer=",
      "DPoP ",
      "Token ",
    ),
    tokenValue,
    fc.constantFrom("", "", "", " ", "=", "==", ", Basic x", "\t"),
  )
  .map(([scheme, token, trailing]) => `${scheme}${token}${trailing}`);

/** The right credentials of a configured client, as RFC 6749 §2.3.1 has them. */
export const goodBasic: fc.Arbitrary<string> = fc
  .constantFrom<{ id: string; secret: string }>(
    SHOP,
    SHOP,
    SHOP,
    SHOP,
    PAYROLL,
    PAYMENTS_API,
    TIGHT,
  )
  .map((client) => `Basic ${btoa(`${formEncode(client.id)}:${formEncode(client.secret)}`)}`);

export const authorization: fc.Arbitrary<string | null> = fc.oneof(
  { arbitrary: fc.constant(null), weight: 2 },
  { arbitrary: goodBasic, weight: 24 },
  { arbitrary: basicHeader, weight: 4 },
  { arbitrary: bearerHeader, weight: 4 },
  {
    arbitrary: fc.constantFrom(
      "Digest username=shop",
      "Negotiate YII=",
      "HOBA",
      "AWS4-HMAC-SHA256 Credential=x",
      "Basic",
      "Bearer",
      "",
      ",",
    ),
    weight: 1,
  },
  { arbitrary: headerJunk, weight: 1 },
);

export const origin: fc.Arbitrary<string | null> = fc.oneof(
  { arbitrary: fc.constant(null), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      "https://shop.example",
      "https://broker.test",
      "https://evil.example",
      "null",
      "http://shop.example",
      "https://shop.example:443",
      "https://shop.example.evil.example",
      "file://",
    ),
    weight: 3,
  },
  { arbitrary: headerJunk, weight: 1 },
);

/** Sources: mostly a pool of addresses, sometimes one that hammers, a malformed one, or none. */
export function address(pool: readonly string[], hammer: string): fc.Arbitrary<string | null> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...pool), weight: 16 },
    { arbitrary: fc.constant(hammer), weight: 3 },
    { arbitrary: fc.constantFrom("not-an-ip", "127.0.0.1, 10.0.0.1", "", "::ffff:"), weight: 1 },
    { arbitrary: fc.constant(null), weight: 1 },
  );
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,24}$/;

/** Headers nobody asked for, and duplicates of those that matter. */
const extraHeaderList: fc.Arbitrary<Array<[string, string]>> = fc.array(
  fc.tuple(
    fc.oneof(
      {
        arbitrary: fc.constantFrom(
          "authorization",
          "content-type",
          "origin",
          "content-length",
          "cookie",
          "x-forwarded-for",
          "forwarded",
          "host",
          "accept",
          "accept-charset",
          "accept-encoding",
          "content-encoding",
          "transfer-encoding",
          "sec-fetch-site",
          "access-control-request-method",
          "access-control-request-headers",
          "idempotency-key",
          "x-request-id",
          "x-http-method-override",
          "token",
          "apikey",
        ),
        weight: 4,
      },
      { arbitrary: fc.stringMatching(HEADER_NAME), weight: 1 },
    ),
    fc.oneof(
      { arbitrary: headerJunk, weight: 3 },
      { arbitrary: fc.nat(100_000).map(String), weight: 1 },
      { arbitrary: basicHeader, weight: 1 },
      { arbitrary: fc.constantFrom("gzip", "chunked", "POST", "cross-site", FORM), weight: 1 },
    ),
  ),
  { minLength: 1, maxLength: 3 },
);
const extraHeaders = fc.oneof(
  { arbitrary: fc.constant<Array<[string, string]>>([]), weight: 2 },
  { arbitrary: extraHeaderList, weight: 1 },
);

export interface Shape {
  methods: fc.Arbitrary<string>;
  target: fc.Arbitrary<string>;
  /** The body, and the label the tally counts it under. */
  body: fc.Arbitrary<{ label: string; body: FuzzBody }>;
  pool: readonly string[];
  hammer: string;
  /** Authorization headers, when the endpoint wants a mix of its own. */
  authorization?: fc.Arbitrary<string | null>;
  /** Origins, likewise. */
  origin?: fc.Arbitrary<string | null>;
}

/** Methods: mostly the endpoint's own, then every other one (and some nobody defined). */
export function methods(own: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...own), weight: 14 },
    {
      arbitrary: fc.constantFrom(
        "GET",
        "HEAD",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "OPTIONS",
        "post",
        "patch",
        "PROPFIND",
        "PURGE",
        "SEARCH",
      ),
      weight: 2,
    },
  );
}

/** A whole request for one endpoint. */
export function fuzzRequest(shape: Shape): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: shape.methods,
      target: shape.target,
      type: contentType,
      authorization: shape.authorization ?? authorization,
      origin: shape.origin ?? origin,
      address: address(shape.pool, shape.hammer),
      extra: extraHeaders,
      body: shape.body,
    })
    .map(
      ({
        method,
        target,
        type,
        authorization: auth,
        origin: from,
        address: source,
        extra,
        body: labelled,
      }) => {
        const headers: Array<[string, string]> = [];
        if (type !== null) headers.push(["content-type", type]);
        if (auth !== null) headers.push(["authorization", auth]);
        if (from !== null) headers.push(["origin", from]);
        if (source !== null) headers.push(["cf-connecting-ip", source]);
        headers.push(...extra);
        return { label: labelled.label, method, target, headers, body: labelled.body };
      },
    );
}

/** A query string, sometimes one with credentials in it, sometimes very long. */
export const query: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant(""), weight: 8 },
  {
    arbitrary: fc.constantFrom(
      "?",
      "?client_secret=x",
      "?scope=papaya:payments",
      "?a=1&a=2",
      "?%zz",
    ),
    weight: 1,
  },
  { arbitrary: junk.map((text) => `?${percentEncode(text)}`), weight: 1 },
  { arbitrary: fc.nat(5000).map((n) => `?q=${"x".repeat(n)}`), weight: 1 },
);

// ---- building -----------------------------------------------------------------------------

function fill(text: string, kit: Kit): string {
  return text.includes("@@")
    ? text.replace(/@@([a-z-]+)@@/g, (whole, name: string) => kit[name] ?? whole)
    : text;
}

/**
 * A header value as the fuzz sends it: ASCII only (workerd would send anything above as UTF-8
 * bytes, and warn), without the CR, LF and NUL no header can carry. Non-ASCII credentials still
 * arrive: inside Basic's base64.
 */
function asHeaderValue(value: string): string {
  return value.replace(/[^\t\x20-\x7e]/g, "");
}

function utf16Bytes(text: string, bom: boolean): Uint8Array {
  const bytes: number[] = bom ? [0xff, 0xfe] : [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    bytes.push(code & 0xff, code >> 8);
  }
  return new Uint8Array(bytes);
}

function stream(bytes: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}

/**
 * The request to send, or `undefined` when the platform itself refuses to build it (a header
 * value the Headers class rejects, say): the broker never sees such a request.
 */
export function build(origin: string, request: FuzzRequest, kit: Kit): Request | undefined {
  const headers = new Headers();
  try {
    for (const [name, value] of request.headers)
      headers.append(name, asHeaderValue(fill(value, kit)));
  } catch {
    return undefined;
  }
  let body: BodyInit | undefined;
  const { body: spec } = request;
  if (spec.kind === "text") body = fill(spec.text, kit);
  else if (spec.kind === "bytes") body = spec.bytes;
  else if (spec.kind === "params") {
    const params: Params = spec.params.map(([name, value]) => [fill(name, kit), fill(value, kit)]);
    const text = encodeParams(params, spec.encoding, spec.pad);
    if (spec.wire === "text") body = text;
    else if (spec.wire === "stream") {
      const bytes = new TextEncoder().encode(text);
      // At most 64 chunks: enough to split every field, few enough to stay fast.
      body = stream(bytes, Math.max(spec.chunk, Math.ceil(bytes.length / 64)));
    } else body = utf16Bytes(text, spec.wire === "utf16-bom");
  }
  const upper = request.method.toUpperCase();
  if (upper === "GET" || upper === "HEAD") body = undefined;
  try {
    return new Request(`${origin}${fill(request.target, kit)}`, {
      method: request.method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
  } catch {
    return undefined;
  }
}

/** A request in a line, for a failure report: tokens and secrets stay placeholders. */
export function summarize(request: FuzzRequest): string {
  const short = (text: string) =>
    JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}…+${text.length - 300}` : text);
  const { body: spec } = request;
  const body =
    spec.kind === "bytes"
      ? `bytes(${spec.bytes.length})`
      : spec.kind === "none"
        ? "none"
        : spec.kind === "text"
          ? `text(${short(spec.text)})`
          : `${spec.encoding}/${spec.wire}${spec.pad === 0 ? "" : `+pad ${spec.pad}`}(${short(JSON.stringify(spec.params))})`;
  const headers = request.headers.map(([name, value]) => [name, value.slice(0, 120)]);
  return `${request.method} ${request.target.slice(0, 200)} ${JSON.stringify(headers)} body=${body}`;
}
