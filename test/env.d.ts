declare namespace Cloudflare {
  interface Env {
    TOKENS: KVNamespace;
    RATE_LIMITER: DurableObjectNamespace<import("../worker/rate-limit.ts").RateLimiter>;
    TOKEN_LEASES: DurableObjectNamespace;
    ISSUER?: string;
    DEMO_CLIENT_ID?: string;
    BROKER_AUDIENCE?: string;
    BROKER_CLIENTS?: string;
    BROKER_SIGNING_KEYS?: string;
    BROKER_KEY_ROTATION_SECONDS?: string;
    TOKEN_ENCRYPTION_KEY?: string;
    IPOSPAYS_API_KEY?: string;
    IPOSPAYS_SECRET_KEY?: string;
    IPOSPAYS_BASE_URL?: string;
    IPOSPAYS_API_BASE_URL?: string;
    PAYMENTSGATE_ACCOUNT_ID?: string;
    PAYMENTSGATE_PUBLIC_KEY?: string;
    PAYMENTSGATE_BASE_URL?: string;
    PAPAYA_API_KEY?: string;
    PAPAYA_CLIENT_SECRET?: string;
    PAPAYA_BASE_URL?: string;
  }
}

declare namespace Cloudflare {
  /** Types `exports` from "cloudflare:workers": the loopback bindings to the Worker's exports. */
  interface GlobalProps {
    mainModule: typeof import("../worker/index.ts");
  }
}
