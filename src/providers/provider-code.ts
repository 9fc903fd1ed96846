import * as v from "valibot";

/**
 * What a provider's own error code may look like before it enters an error: a short token such
 * as `AUTH_ERR_004`. A provider that echoes the request back would otherwise put whatever it was
 * sent (a secret, in a body or a header) into the message, `providerCode`, the stack and the JSON
 * of our error, and from there into logs and audit lines.
 */
const ProviderCode = v.pipe(v.string(), v.regex(/^[\w.:-]{1,64}$/));

/** The provider's code when it has the shape of one; `undefined` (dropped) otherwise. */
export function providerCodeOf(value: unknown): string | undefined {
  return v.safeParse(ProviderCode, value).success ? (value as string) : undefined;
}
