import { EdgeTokenError, type SentRequest } from "../../src/index.ts";
import { recordError } from "./leaks.ts";

/** A hand-made response as `sendRequest` hands it over: body read, sent and received at `at`. */
export async function sent(response: Response, at: number): Promise<SentRequest> {
  return { response, body: await response.clone().text(), sentAt: at, receivedAt: at };
}

/** The EdgeTokenError a function throws. */
export function thrown(run: () => unknown): EdgeTokenError {
  try {
    run();
  } catch (error) {
    recordError(error);
    if (error instanceof EdgeTokenError) return error;
    throw error;
  }
  throw new Error("expected an EdgeTokenError");
}
