import * as v from "valibot";
import { EdgeTokenError } from "./errors.ts";
import { checkOptionNames, namesOf } from "./option-names.ts";

/** What an issue's `expected` means, where valibot's notation (`!0`) would puzzle a reader. */
function expectation(issue: v.BaseIssue<unknown>): string {
  if (issue.type === "non_empty") return "must not be empty";
  // A check's message is ours (what it expects, never the value): see `checkedNumber`.
  if (issue.type === "check") return `expected ${issue.message}`;
  return `expected ${issue.expected ?? "a valid value"}`;
}

/**
 * Where the input failed the schema, as dotted paths, never with the values: a failing body
 * may well hold a token or a secret.
 */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const paths = issues.slice(0, 5).map((issue) => {
    const path = issue.path?.map((item) => String(item.key)).join(".");
    return `${path || "(root)"}: ${expectation(issue)}`;
  });
  return paths.join("; ");
}

/**
 * Parses a JSON body with a valibot schema. Anything else — not JSON, the wrong shape — is an
 * `invalid_response` error that says where, without echoing the body.
 *
 * @example
 * const body = parseJson(sent.body, TokenResponseSchema, "PaymentsGate issue", sent.response.status);
 */
export function parseJson<const TSchema extends v.GenericSchema>(
  text: string,
  schema: TSchema,
  what: string,
  status?: number,
): v.InferOutput<TSchema> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EdgeTokenError("invalid_response", `${what} did not answer with JSON.`, { status });
  }
  return parseValue(json, schema, what, status);
}

/** Like {@link parseJson}, for a value that is already decoded. */
export function parseValue<const TSchema extends v.GenericSchema>(
  value: unknown,
  schema: TSchema,
  what: string,
  status?: number,
): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  throw new EdgeTokenError(
    "invalid_response",
    `${what} answered with an unexpected shape (${describeIssues(result.issues)}).`,
    { status },
  );
}

/**
 * Parses options or configuration with a valibot schema; a mismatch is a `configuration` error
 * naming the fields at fault (never their values, which may be secrets), and so is an option the
 * schema does not know (a misspelling, with the closest known name).
 *
 * @example
 * const keys = parseConfig(options.keys, KeysSchema, "createEncryptedKv keys");
 */
export function parseConfig<const TSchema extends v.GenericSchema>(
  value: unknown,
  schema: TSchema,
  where: string,
): v.InferOutput<TSchema> {
  const names = namesOf(schema);
  if (names !== undefined) checkOptionNames(value, names, where);
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  throw new EdgeTokenError(
    "configuration",
    `${where} is invalid: ${describeIssues(result.issues)}.`,
  );
}

/**
 * The body as the schema's output when it is JSON of that shape, `undefined` otherwise: for
 * error bodies, where a shape is welcome but its absence is no reason to fail differently.
 *
 * @example
 * const code = peekJson(sent.body, v.object({ error: v.string() }))?.error;
 */
export function peekJson<const TSchema extends v.GenericSchema>(
  text: string,
  schema: TSchema,
): v.InferOutput<TSchema> | undefined {
  try {
    const result = v.safeParse(schema, JSON.parse(text));
    return result.success ? result.output : undefined;
  } catch {
    return undefined;
  }
}
