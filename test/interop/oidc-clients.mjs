// The authorization server's clients and resource, shared by oidc-server.mjs (Node) and the
// tests (workerd), which must not import oidc-provider itself.
export const RESOURCE = "https://payments.interop.test/";
export const CLIENTS = {
  basic: { id: "interop-basic", secret: "interop-basic-secret-5f2c9a7e1b3d4f6a8c0e2b4d" },
  post: { id: "interop-post", secret: "interop-post-secret-9d1b3f5a7c9e2d4f6b8a0c1e" },
};
