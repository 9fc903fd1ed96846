// What oidc-server.mjs (vitest's global setup) hands the tests: the authorization server's URL.
declare module "vitest" {
  export interface ProvidedContext {
    oidcIssuer: string;
  }
}

export {};
