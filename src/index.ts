export {
  EdgeTokenError,
  type EdgeTokenErrorCode,
  type EdgeTokenErrorDetails,
  isEdgeTokenError,
} from "./errors.ts";
export { clockSkew, jwtExpiry, type LifetimeSignals, tokenExpiry } from "./lifetime.ts";
export { parseConfig, parseJson, parseValue } from "./parse.ts";
export {
  bearer,
  type Provider,
  type ProviderContext,
  type ResponseVerdict,
  type TokenKey,
} from "./provider.ts";
export { type RequestPolicy, retryAfterMs, type SentRequest, sendRequest } from "./request.ts";
export { type FetchLike, type Runtime, type RuntimeOptions, resolveRuntime } from "./runtime.ts";
export {
  createTokenSource,
  type GetOptions,
  TokenSource,
  type TokenSourceOptions,
  type WaitUntil,
} from "./source.ts";
export {
  createEncryptedKv,
  type EncryptedKvOptions,
  type EncryptionKey,
} from "./stores/encrypted.ts";
export { fingerprint, storeKeyName } from "./stores/key-name.ts";
export { createKvStore, type KvNamespaceLike, type KvStoreOptions } from "./stores/kv.ts";
export { createMemoryStore, type MemoryStoreOptions } from "./stores/memory.ts";
export type { TokenStore } from "./stores/store.ts";
export { Token, type TokenInit } from "./token.ts";
