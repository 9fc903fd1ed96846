/**
 * The broker's configuration as the code sees it, once `parse.ts` has read and checked the
 * Worker's vars and secrets: clients and their policies, signing keys, provider settings.
 */
import type { ClientPolicy } from "../oauth/client-policy.ts";

/** A P-256 private key as a JWK, with the `kid` it is published under. */
export interface PrivateSigningJwk {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
  d: string;
  kid: string;
}

export interface IposPaysSettings {
  apiKey: string;
  secretKey: string;
  environment: "sandbox" | "production";
  baseUrl: string | undefined;
  /** Where Transact lives (`payment.ipospays.*`), not the auth host. */
  apiBaseUrl: string;
}

export interface PaymentsGateSettings {
  accountId: string;
  publicKey: string;
  environment: "sandbox" | "production";
  baseUrl: string | undefined;
  apiBaseUrl: string;
}

export interface PapayaSettings {
  apiKey: string;
  clientSecret: string;
  environment: "sandbox" | "production";
  baseUrl: string | undefined;
  /** Undefined when neither PAPAYA_API_BASE_URL nor PAPAYA_BASE_URL is set: no proxy then. */
  apiBaseUrl: string | undefined;
}

export interface ProviderSettings {
  ipospays?: IposPaysSettings;
  paymentsgate?: PaymentsGateSettings;
  papaya?: PapayaSettings;
}

export interface BrokerConfig {
  /**
   * Undefined: each request's own origin is the issuer (development keys only; with
   * `BROKER_SIGNING_KEYS` the configuration requires it).
   */
  issuer: string | undefined;
  /** When set, `POST /demo/token` issues page tokens for this client (the demo's backend). */
  demoClientId: string | undefined;
  /** The audience the broker's own proxy and provider-token endpoint accept. */
  audience: string;
  clients: ReadonlyMap<string, ClientPolicy>;
  /** From the BROKER_SIGNING_KEYS secret; undefined means development keys kept in KV. */
  signingKeys: readonly PrivateSigningJwk[] | undefined;
  /** How old a development signing key gets before a new one replaces it. */
  keyRotationSeconds: number;
  encryptionKey: string;
  providers: ProviderSettings;
  /** Every client's origins together: what a CORS preflight (which has no token) is checked against. */
  allOrigins: ReadonlySet<string>;
  /**
   * Every audience the broker issues tokens for: `audience` and every client's. A token for
   * anything else is not one of ours, whatever its signature says (RFC 8725 §3.9).
   */
  allAudiences: ReadonlySet<string>;
}

/** Where the configuration is wrong and what it must be. */
export interface ConfigProblem {
  field: string;
  problem: string;
}
