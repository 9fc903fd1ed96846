/**
 * Everything the broker builds from its configuration, once per isolate, at the first request:
 * the parsed config, signing keys, revocations and provider token sources. A configuration
 * problem is kept as the failure every request then gets (503, naming the field).
 */
import { createDurableObjectLease, createEncryptedKv, type RuntimeOptions } from "../src/index.ts";
import type { BrokerConfig } from "./config/config.ts";
import { describeProblem, parseBrokerConfig } from "./config/parse.ts";
import { ok, type Result } from "./oauth/failure.ts";
import { createLimits, type Limits, type RateLimiter } from "./rate-limit.ts";
import { createRevocations, type Revocations } from "./tokens/revocations.ts";
import {
  devKeySource,
  importSigningKeys,
  type KeySource,
  staticKeySource,
  unusableSigningKey,
} from "./tokens/signing-keys.ts";
import { createProviderTokens, type ProviderTokens } from "./upstream/token-sources.ts";
import { createRenewals, PROXY_TIMEOUT_MS, type Renewals } from "./upstream/upstream-call.ts";

/** The bindings the broker needs; its vars and secrets are read by `parseBrokerConfig`. */
export interface BrokerEnv {
  TOKENS: KVNamespace;
  /** Provider-token leases across the fleet (optional: without it, single flight per isolate). */
  TOKEN_LEASES?: DurableObjectNamespace;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
}

export interface BrokerState {
  config: BrokerConfig;
  keys: KeySource;
  revocations: Revocations;
  providers: ProviderTokens;
  /** The rate limits: client budgets and failures per source (`rate-limit.ts`). */
  limits: Limits;
  /** Which provider tokens the proxy dropped after a 401, and where renewals did not help. */
  renewals: Renewals;
  /** How long the proxy waits for an upstream answer (`PROXY_TIMEOUT_MS` unless a test says). */
  proxyTimeoutMs: number;
}

function misconfigured(detail: string): Result<BrokerState> {
  console.error(JSON.stringify({ event: "configuration_error", detail }));
  return { ok: false, failure: { kind: "misconfigured", detail } };
}

/** Builds the state, or the failure that describes the first configuration problem (logged once). */
export async function buildState(
  env: BrokerEnv,
  runtime: RuntimeOptions,
  proxyTimeoutMs = PROXY_TIMEOUT_MS,
): Promise<Result<BrokerState>> {
  const parsed = parseBrokerConfig(env);
  if (!parsed.ok) return misconfigured(describeProblem(parsed.failure));
  const config = parsed.value;
  const lease =
    env.TOKEN_LEASES === undefined ? undefined : createDurableObjectLease(env.TOKEN_LEASES);
  const providers = createProviderTokens(config, env.TOKENS, runtime, lease);
  if (!providers.ok) return misconfigured(describeProblem(providers.failure));
  let keys: KeySource;
  if (config.signingKeys === undefined) {
    const kv = createEncryptedKv(env.TOKENS, {
      keys: [{ id: "broker-keys-1", secret: config.encryptionKey }],
    });
    keys = devKeySource(kv, {
      rotationSeconds: config.keyRotationSeconds,
      log: (message) => console.warn(JSON.stringify({ event: "signing_keys", message })),
    });
  } else {
    const imported = await importSigningKeys(config.signingKeys);
    if (!imported.ok) {
      return misconfigured(describeProblem(unusableSigningKey(imported.failure)));
    }
    keys = staticKeySource(imported.value);
  }
  return ok({
    config,
    keys,
    revocations: createRevocations(env.TOKENS),
    providers: providers.value,
    limits: createLimits(env.RATE_LIMITER),
    renewals: createRenewals(),
    proxyTimeoutMs,
  });
}
