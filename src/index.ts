export {
  EdgeTokenError,
  type EdgeTokenErrorCode,
  type EdgeTokenErrorDetails,
  isEdgeTokenError,
} from "./errors.ts";
export type { LeaseOutcome, TokenSourceEvent } from "./events.ts";
export { readUpTo } from "./internal/capped-body.ts";
export { fingerprint, storeKeyName } from "./key-name.ts";
export type { TokenLease } from "./lease.ts";
export { clockSkew, jwtExpiry, type LifetimeSignals, tokenExpiry } from "./lifetime.ts";
export { parseConfig, parseJson, parseValue, peekJson } from "./parse.ts";
export {
  BEARER,
  bearer,
  type Provider,
  type ProviderContext,
  type ResponseVerdict,
  type TokenKey,
  type TokenPlacement,
} from "./provider.ts";
export { BROKER_SCOPE_PATTERN, type BrokerOptions, broker } from "./providers/broker.ts";
export type { ProviderHosts, PublishedHosts } from "./providers/hosts.ts";
export {
  IPOSPAYS_HOSTS,
  type IposPaysKeyLevel,
  type IposPaysOptions,
  type IposPaysScope,
  ipospays,
  ipospaysGenerateRequest,
  ipospaysRefreshRequest,
  processIposPaysResponse,
} from "./providers/ipospays.ts";
export {
  type OAuth2ClientCredentialsOptions,
  oauth2ClientCredentials,
  oauth2TokenRequest,
  processOAuth2TokenResponse,
} from "./providers/oauth2.ts";
export {
  PAPAYA_HOSTS,
  type PapayaOptions,
  papaya,
  papayaObtainRequest,
  processPapayaResponse,
} from "./providers/papaya.ts";
export {
  PAYMENTSGATE_HOSTS,
  type PaymentsGateOptions,
  paymentsGate,
  paymentsGateIssueRequest,
  paymentsGateRefreshRequest,
  processPaymentsGateResponse,
} from "./providers/paymentsgate.ts";
export { type ServiceUrlProblem, serviceUrlProblem } from "./providers/service-url.ts";
export { type RequestPolicy, retryAfterMs, type SentRequest, sendRequest } from "./request.ts";
export { type FetchLike, type Runtime, type RuntimeOptions, resolveRuntime } from "./runtime.ts";
export type { BackoffOptions } from "./schedule.ts";
export {
  createTokenSource,
  type GetOptions,
  TokenSource,
  type TokenSourceOptions,
  type WaitUntil,
} from "./source.ts";
export type { TokenStore } from "./store.ts";
export {
  createDenoKvNamespace,
  createDenoKvStore,
  type DenoKvAtomicLike,
  type DenoKvAtomicOperationLike,
  type DenoKvLike,
  type DenoKvNamespaceOptions,
  type DenoKvStoreOptions,
} from "./stores/deno-kv.ts";
export { createDenoKvLease, type DenoKvLeaseOptions } from "./stores/deno-kv-lease.ts";
export {
  createDurableObjectLease,
  type DurableObjectNamespaceLike,
  TokenLeaseObject,
} from "./stores/durable-lease.ts";
export {
  createEncryptedKv,
  type EncryptedKvOptions,
  type EncryptionKey,
} from "./stores/encrypted.ts";
export {
  createKvStore,
  KV_MIN_TTL_SECONDS,
  type KvNamespaceLike,
  type KvStoreOptions,
} from "./stores/kv.ts";
export { createMemoryStore, type MemoryStoreOptions } from "./stores/memory.ts";
export { Token, type TokenInit } from "./token.ts";
