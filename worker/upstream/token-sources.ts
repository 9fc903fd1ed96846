/**
 * The providers' own tokens, one token source per provider scope, all sharing one encrypted KV
 * cache: the client library's `createTokenSource` over `createKvStore(createEncryptedKv(…))`.
 * Every isolate in every colo reads the same cached token, so a whole fleet makes one auth call
 * per token lifetime; the cron refreshes ahead so no request waits for one.
 */
import {
  BEARER,
  createEncryptedKv,
  createKvStore,
  createTokenSource,
  type EdgeTokenError,
  type IposPaysScope,
  ipospays,
  isEdgeTokenError,
  type Provider,
  papaya,
  paymentsGate,
  type RuntimeOptions,
  resolveRuntime,
  type TokenLease,
  type TokenPlacement,
  type TokenSource,
} from "../../src/index.ts";
import { providerEvent } from "../audit.ts";
import type { BrokerConfig, ConfigProblem } from "../config/config.ts";
import { type Failure, ok, type Result } from "../oauth/failure.ts";
import {
  type BrokerScope,
  type ProviderName,
  providerOf,
  providerScopeOf,
  SCOPES,
} from "../oauth/scopes.ts";
import { createFailureLog, type FailureLog } from "./failure-log.ts";

/** The env var prefix a provider's settings live under, for configuration errors. */
const VAR_PREFIX: Record<ProviderName, string> = {
  ipospays: "IPOSPAYS",
  paymentsgate: "PAYMENTSGATE",
  papaya: "PAPAYA",
};

export interface ProviderTokens {
  /** The source for a scope, when its provider is configured. */
  source(scope: BrokerScope): TokenSource | undefined;
  /** How the scope's provider takes its token (`token: <jwt>` for iPOSpays, Bearer otherwise). */
  placement(scope: BrokerScope): TokenPlacement;
  /** Where the provider's API lives, for the proxy. */
  apiBase(provider: ProviderName): string | undefined;
  /** Every scope with a source. */
  scopes(): readonly BrokerScope[];
  /** The scope's provider and the fetch provider calls go out with, for the proxy. */
  provider(scope: BrokerScope): Provider | undefined;
  /** The platform fetch (the one tests replace). */
  fetch(request: Request): Promise<Response>;
  /** Where `provider_token_failed` lines are written, once per provider per minute. */
  failures: FailureLog;
}

/** The key id written into encrypted KV values; rotating the secret only costs one cache miss. */
const ENCRYPTION_KEY_ID = "broker-1";

function providerFor(config: BrokerConfig, scope: BrokerScope): Provider | undefined {
  const settings = config.providers;
  switch (providerOf(scope)) {
    case "ipospays": {
      const s = settings.ipospays;
      if (s === undefined) return undefined;
      return ipospays({
        apiKey: s.apiKey,
        secretKey: s.secretKey,
        scope: providerScopeOf(scope) as IposPaysScope,
        environment: s.environment,
        ...(s.baseUrl === undefined ? {} : { baseUrl: s.baseUrl }),
      });
    }
    case "paymentsgate": {
      const s = settings.paymentsgate;
      if (s === undefined) return undefined;
      return paymentsGate({
        accountId: s.accountId,
        publicKey: s.publicKey,
        environment: s.environment,
        scope: providerScopeOf(scope),
        ...(s.baseUrl === undefined ? {} : { baseUrl: s.baseUrl }),
      });
    }
    case "papaya": {
      const s = settings.papaya;
      if (s === undefined) return undefined;
      return papaya({
        apiKey: s.apiKey,
        clientSecret: s.clientSecret,
        environment: s.environment,
        scope: providerScopeOf(scope),
        ...(s.baseUrl === undefined ? {} : { baseUrl: s.baseUrl }),
      });
    }
  }
}

/**
 * A source per configured provider scope. A provider whose settings the library refuses is a
 * configuration problem naming its vars (the library's message names the option, never a value).
 */
export function createProviderTokens(
  config: BrokerConfig,
  kv: KVNamespace,
  runtime: RuntimeOptions,
  lease?: TokenLease,
): Result<ProviderTokens, ConfigProblem> {
  const store = createKvStore(
    createEncryptedKv(kv, { keys: [{ id: ENCRYPTION_KEY_ID, secret: config.encryptionKey }] }),
    runtime.now === undefined ? {} : { now: runtime.now },
  );
  const sources = new Map<BrokerScope, TokenSource>();
  const providers = new Map<BrokerScope, Provider>();
  const platform = resolveRuntime(runtime);
  const placements = new Map<BrokerScope, TokenPlacement>();
  for (const scope of SCOPES) {
    let provider: Provider | undefined;
    try {
      provider = providerFor(config, scope);
    } catch (error) {
      const problem = isEdgeTokenError(error) ? error.message : "is invalid";
      return { ok: false, failure: { field: `${VAR_PREFIX[providerOf(scope)]}_*`, problem } };
    }
    if (provider !== undefined) {
      // The lease makes one isolate in the fleet call the provider per scope (and spend a
      // PaymentsGate refresh token once); the others take its token from KV.
      sources.set(
        scope,
        createTokenSource(provider, {
          store,
          runtime,
          lease,
          onEvent: (event) => providerEvent(event, platform.now()),
        }),
      );
      providers.set(scope, provider);
      placements.set(scope, provider.placement ?? BEARER);
    }
  }
  return ok({
    source: (scope) => sources.get(scope),
    placement: (scope) => placements.get(scope) ?? BEARER,
    apiBase: (provider) => config.providers[provider]?.apiBaseUrl,
    scopes: () => [...sources.keys()],
    provider: (scope) => providers.get(scope),
    fetch: (request) => platform.fetch(request),
    failures: createFailureLog(),
  });
}

/**
 * A provider that would not give a token, as the failure the caller sees — and its log line,
 * written once per provider per minute with a count (`failure-log.ts`).
 */
export function providerFailure(
  provider: ProviderName,
  error: unknown,
  at: { now: number; failures: FailureLog },
): Failure {
  const typed: EdgeTokenError | undefined = isEdgeTokenError(error) ? error : undefined;
  at.failures.record(
    {
      provider,
      code: typed?.code ?? "unexpected",
      provider_code: typed?.providerCode,
      status: typed?.status,
      message: typed?.message,
    },
    at.now,
  );
  const retryAfterMs = typed?.retryable ? (typed.retryAfterMs ?? 5_000) : undefined;
  return {
    kind: "provider_unavailable",
    provider,
    retryAfterSeconds: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000),
  };
}
