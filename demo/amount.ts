/**
 * The amount field, checked before anything is sent: dollars with at most two decimals, more
 * than zero, at most {@link MAX_AMOUNT_CENTS}. Worked out on the digits (never a float), so
 * 0.1 + 0.2 troubles and `1e9` never reach a payment. No DOM here: the tests run it as is.
 */

/** The most the demo takes: $10,000.00. */
export const MAX_AMOUNT_CENTS = 1_000_000;

export type AmountCheck = { ok: true; cents: number } | { ok: false; message: string };

/** Cents as a person reads them: 1250 → "$12.50". */
export function formatCents(cents: number): string {
  const whole = Math.trunc(cents / 100).toLocaleString("en-US");
  return `$${whole}.${String(cents % 100).padStart(2, "0")}`;
}

/** What the field holds, as cents, or the sentence to show at the field. */
export function checkAmount(input: string): AmountCheck {
  const text = input.trim().replace(/^\$\s*/, "");
  if (text === "") return { ok: false, message: "Enter an amount, for example 12.50." };
  if (/^-/.test(text) && /\d/.test(text)) {
    return { ok: false, message: "The amount cannot be negative." };
  }
  const match = /^\+?(\d*)(?:\.(\d*))?$/.exec(text);
  const whole = match?.[1] ?? "";
  const fraction = match?.[2] ?? "";
  if (match === null || (whole === "" && fraction === "")) {
    return {
      ok: false,
      message: "Enter the amount in digits, with a dot before the cents: 12.50.",
    };
  }
  if (fraction.length > 2) {
    return { ok: false, message: "Use at most two decimals: a cent is the smallest amount." };
  }
  const digits = whole.replace(/^0+/, "");
  const tooLarge = {
    ok: false,
    message: `The most this checkout takes is ${formatCents(MAX_AMOUNT_CENTS)}.`,
  } as const;
  // More than eight digits of dollars cannot be within the limit: no Number is made of them.
  if (digits.length > 8) return tooLarge;
  const cents = Number(digits === "" ? "0" : digits) * 100 + Number(fraction.padEnd(2, "0"));
  if (cents === 0) return { ok: false, message: "The amount must be more than $0.00." };
  if (cents > MAX_AMOUNT_CENTS) return tooLarge;
  return { ok: true, cents };
}
