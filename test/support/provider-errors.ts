/**
 * The providers' documented error answers, as the emulator's contract tests expect them
 * (PROVIDERS.md): iPOSpays' errorCode and errorMessage, PaymentsGate's error, message and
 * statusCode.
 */
import { expect } from "vitest";
import { json } from "./emulator-wire.ts";

/** iPOSpays: the errorMessage of each errorCode. */
const MESSAGES: Record<string, string> = {
  AUTH_ERR_001: "API Key is required.",
  AUTH_ERR_002: "Secret Key is required.",
  AUTH_ERR_003: "Scope is required.",
  AUTH_ERR_004: "Invalid Credentials, Please Contact Support Team.",
  AUTH_ERR_005: "Invalid scope provided. Please use a valid scope.",
  AUTH_ERR_006: "Invalid Token, Please try with a Valid Token.",
  AUTH_ERR_007: "Invalid Token, Please try with a Valid Token.",
  AUTH_ERR_008: "Invalid Signature.",
  AUTH_ERR_009: "Refresh Token needs to be true in the Header.",
  AUTH_ERR_011: "Minimum expiry time cannot be less than 30 minutes.",
  AUTH_ERR_012: "Maximum expiry time cannot be more than 24 hours.",
};

/** iPOSpays: the status, a JSON content type, and exactly the documented errorCode and errorMessage. */
export async function expectError(response: Response, code: string, status: number): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/json");
  expect(await json(response)).toEqual({ errorCode: code, errorMessage: MESSAGES[code] });
}

/** PaymentsGate: the status and its error shape; returns the message. */
export async function expectFailure(response: Response, status: 400 | 401): Promise<string> {
  expect(response.status).toBe(status);
  const body = await json(response);
  expect(body).toEqual({
    error: status === 400 ? "Bad Request" : "Unauthorized",
    message: expect.any(String),
    statusCode: status,
  });
  return body.message as string;
}
