/**
 * The emulator's HTTP controls under `/_emulator/`, for tests in another process and for curl:
 * a thin veneer over the `Emulator` methods, which the emulator hands in (imports run one way:
 * emulator.ts → controls.ts). Not counted as calls, never faulted.
 *
 * - `GET /_emulator/calls`: call counts per endpoint.
 * - `GET /_emulator/refused`: tokens refused per endpoint, by why (expired, revoked, …).
 * - `GET /_emulator/jwks`: the public signing key.
 * - `POST /_emulator/faults` (a Fault as JSON), `DELETE /_emulator/faults`.
 * - `POST /_emulator/clock` `{"advanceMs": n}`.
 * - `POST /_emulator/revoke` `{"token": "…"}`.
 * - `POST /_emulator/reset`.
 *
 * The state-changing controls (every method but GET and HEAD) refuse what a web page could send
 * across sites, so a page a developer happens to visit cannot reset or fault their running
 * emulator: a browser `Origin` other than the emulator's own or a loopback one, `Sec-Fetch-Site:
 * cross-site`, and the content types a page may send without a preflight (`text/plain`, forms).
 * A body must be `application/json`; curl and tests are not browsers and send no `Origin`.
 */
import type { JSONWebKeySet } from "jose";
import * as v from "valibot";
import { describeBodyProblem, readJsonBody } from "./body.ts";
import { type Fault, FaultSchema } from "./faults.ts";
import { methodNotAllowed, notFound, type Reply, toResponse } from "./reply.ts";

const CONTROL_PREFIX = "/_emulator";

const ClockBody = v.strictObject({ advanceMs: v.pipe(v.number(), v.finite()) });
const RevokeBody = v.strictObject({ token: v.pipe(v.string(), v.nonEmpty()) });

const ok: Reply = { status: 200, json: { ok: true } };

/** The content types a cross-site page may POST without a CORS preflight (Fetch §2.2.2). */
const SIMPLE_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"];

function isLoopback(hostname: string): boolean {
  return (
    hostname === "localhost" ||
    hostname.endsWith(".localhost") ||
    hostname === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/** Why a state-changing control refuses a request a cross-site page could have sent, if it does. */
function crossSiteProblem(request: Request): Reply | undefined {
  const origin = request.headers.get("origin");
  if (origin !== null) {
    let allowed = false;
    try {
      const url = new URL(origin);
      allowed = url.origin === new URL(request.url).origin || isLoopback(url.hostname);
    } catch {
      allowed = false;
    }
    if (!allowed) return forbidden("Cross-site requests may not change the emulator.");
  } else if (request.headers.get("sec-fetch-site") === "cross-site") {
    return forbidden("Cross-site requests may not change the emulator.");
  }
  const type = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== undefined && SIMPLE_TYPES.includes(type)) {
    return {
      status: 415,
      json: { error: "Unsupported Media Type", message: "Send the body as application/json." },
    };
  }
  return undefined;
}

function forbidden(message: string): Reply {
  return { status: 403, json: { error: "Forbidden", message } };
}

function badRequest(message: string): Reply {
  return { status: 400, json: { error: "Bad Request", message } };
}

/** Whether `path` is one of the controls' (or would be). */
export function isControlPath(path: string): boolean {
  return path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`);
}

/** The emulator's methods the controls drive (the `Emulator` has them, under the same names). */
export interface Controlled {
  calls(): Record<string, number>;
  refused(): Record<string, Partial<Record<string, number>>>;
  jwks(): Promise<JSONWebKeySet>;
  addFault(fault: Fault): void;
  clearFaults(): void;
  advance(ms: number): void;
  revoke(token: string): void;
  reset(): void;
}

type Control = (request: Request, emulator: Controlled) => Promise<Reply>;

const CONTROLS: Record<string, Partial<Record<string, Control>>> = {
  calls: { GET: async (_request, emulator) => ({ status: 200, json: emulator.calls() }) },
  refused: { GET: async (_request, emulator) => ({ status: 200, json: emulator.refused() }) },
  jwks: { GET: async (_request, emulator) => ({ status: 200, json: await emulator.jwks() }) },
  faults: {
    POST: async (request, emulator) => {
      const body = await readJsonBody(request, FaultSchema, { requireJsonType: true });
      if (!body.ok) return badRequest(describeBodyProblem(body));
      emulator.addFault(body.value);
      return { status: 201, json: { ok: true } };
    },
    DELETE: async (_request, emulator) => {
      emulator.clearFaults();
      return ok;
    },
  },
  clock: {
    POST: async (request, emulator) => {
      const body = await readJsonBody(request, ClockBody, { requireJsonType: true });
      if (!body.ok) return badRequest(describeBodyProblem(body));
      try {
        emulator.advance(body.value.advanceMs);
      } catch (error) {
        return badRequest(error instanceof Error ? error.message : "advanceMs is out of range.");
      }
      return ok;
    },
  },
  revoke: {
    POST: async (request, emulator) => {
      const body = await readJsonBody(request, RevokeBody, { requireJsonType: true });
      if (!body.ok) return badRequest(describeBodyProblem(body));
      emulator.revoke(body.value.token);
      return ok;
    },
  },
  reset: {
    POST: async (_request, emulator) => {
      emulator.reset();
      return ok;
    },
  },
};

/** Answers a request under `/_emulator/`; the `Date` header carries the unskewed clock. */
export async function handleControl(
  request: Request,
  path: string,
  emulator: Controlled,
  nowMs: number,
): Promise<Response> {
  const name = path.slice(CONTROL_PREFIX.length + 1);
  const methods = Object.hasOwn(CONTROLS, name) ? CONTROLS[name] : undefined;
  if (methods === undefined) return toResponse(notFound(path), nowMs);
  const control = Object.hasOwn(methods, request.method) ? methods[request.method] : undefined;
  if (control === undefined) return toResponse(methodNotAllowed(Object.keys(methods)), nowMs);
  if (request.method !== "GET" && request.method !== "HEAD") {
    const refused = crossSiteProblem(request);
    if (refused !== undefined) return toResponse(refused, nowMs);
  }
  return toResponse(await control(request, emulator), nowMs);
}
