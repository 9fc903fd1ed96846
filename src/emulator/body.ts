import * as v from "valibot";

/** Request bodies larger than this are refused unread: the emulator never buffers junk. */
export const MAX_BODY_BYTES: number = 64 * 1024;

/** What reading a JSON request body found, without ever echoing the body itself. */
export type BodyResult<T> =
  | { ok: true; value: T }
  | { ok: false; problem: "content_type" | "too_large" | "not_json" }
  | { ok: false; problem: "invalid"; fields: string[] };

/** `application/json` or any `+json` type, parameters allowed. */
export function isJsonType(contentType: string | null): boolean {
  const type = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || type.endsWith("+json");
}

/** The body as text, or why it was not read: larger than `limit` bytes, or a broken stream. */
export async function readText(
  request: Request,
  limit: number,
): Promise<{ text: string } | { problem: "too_large" | "unreadable" }> {
  if (request.body === null) return { text: "" };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        return { problem: "too_large" };
      }
      chunks.push(value);
    }
  } catch {
    return { problem: "unreadable" };
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { text: new TextDecoder().decode(bytes) };
}

/**
 * Reads a JSON body and checks it against a schema. Failures name the fields at fault, never
 * their values: a rejected body may well hold a secret.
 */
export async function readJsonBody<const TSchema extends v.GenericSchema>(
  request: Request,
  schema: TSchema,
  options: { requireJsonType: boolean },
): Promise<BodyResult<v.InferOutput<TSchema>>> {
  if (options.requireJsonType && !isJsonType(request.headers.get("content-type"))) {
    return { ok: false, problem: "content_type" };
  }
  const read = await readText(request, MAX_BODY_BYTES);
  if ("problem" in read) {
    return { ok: false, problem: read.problem === "too_large" ? "too_large" : "not_json" };
  }
  let json: unknown;
  try {
    json = JSON.parse(read.text);
  } catch {
    return { ok: false, problem: "not_json" };
  }
  const parsed = v.safeParse(schema, json);
  if (parsed.success) return { ok: true, value: parsed.output };
  const fields = new Set(
    parsed.issues.map((issue) => v.getDotPath(issue) ?? "(root)").filter((path) => path !== ""),
  );
  return { ok: false, problem: "invalid", fields: [...fields].slice(0, 5) };
}

/** A short, value-free sentence for a failed read, for the provider's `message` field. */
export function describeBodyProblem(result: Extract<BodyResult<unknown>, { ok: false }>): string {
  switch (result.problem) {
    case "content_type":
      return "Content-Type must be application/json.";
    case "too_large":
      return "Request body is too large.";
    case "not_json":
      return "Request body must be a JSON object.";
    case "invalid":
      return `Invalid or missing field(s): ${result.fields.join(", ")}.`;
  }
}
