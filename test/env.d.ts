declare namespace Cloudflare {
  interface Env {
    TOKENS: KVNamespace;
  }
}
