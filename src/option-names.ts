/**
 * Option names a user misspelled: `{ scopes: [...] }` for `scope` would otherwise be dropped in
 * silence and the token requested without a scope. Names only — never a value, which may be a
 * secret.
 */
import { EdgeTokenError } from "./errors.ts";

/** Edit distance, for a "did you mean" (names are short: the quadratic table is fine). */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      next[j] = Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + cost);
    }
    row = next;
  }
  return row[b.length] ?? 0;
}

/** A tree of the option names a function takes: `true` for a leaf, a nested tree for an object. */
export interface OptionNames {
  readonly [name: string]: true | OptionNames;
}

/**
 * Throws a `configuration` error naming the first option (at any depth) that `known` does not
 * list, with the closest known name as a suggestion.
 *
 * @example
 * checkOptionNames({ scopes: ["a"] }, { scope: true }, "oauth2ClientCredentials() options");
 * // EdgeTokenError: oauth2ClientCredentials() options: unknown option scopes; did you mean scope?
 */
export function checkOptionNames(value: unknown, known: OptionNames, where: string, at = ""): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return;
  for (const name of Object.keys(value)) {
    const entry = Object.hasOwn(known, name) ? known[name] : undefined;
    if (entry === undefined) {
      // A known name the unknown one begins or ends (`secret` for `secretKey`) is as near as can be.
      const lower = name.toLowerCase();
      const score = (candidate: string): number => {
        const k = candidate.toLowerCase();
        return k.startsWith(lower) || lower.startsWith(k) ? 0 : distance(name, candidate);
      };
      const best = Object.keys(known).sort((a, b) => score(a) - score(b))[0];
      const near = best !== undefined && score(best) <= Math.max(2, name.length / 3);
      throw new EdgeTokenError(
        "configuration",
        `${where}: unknown option ${at}${name}${near ? `; did you mean ${at}${best}?` : "."}`,
      );
    }
    if (entry !== true) {
      checkOptionNames((value as Record<string, unknown>)[name], entry, where, `${at}${name}.`);
    }
  }
}

interface SchemaShape {
  entries?: Record<string, SchemaShape>;
  wrapped?: SchemaShape;
  pipe?: readonly SchemaShape[];
}

/**
 * The option names a valibot object schema takes, read from its entries (through `optional`
 * and `pipe`); `undefined` for a schema that is not an object.
 */
export function namesOf(schema: unknown): OptionNames | undefined {
  let shape = schema as SchemaShape | undefined;
  while (shape !== undefined && shape.entries === undefined) {
    shape = shape.wrapped ?? shape.pipe?.[0];
  }
  const entries = shape?.entries;
  if (entries === undefined) return undefined;
  const names: Record<string, true | OptionNames> = {};
  for (const [name, entry] of Object.entries(entries)) names[name] = namesOf(entry) ?? true;
  return names;
}
