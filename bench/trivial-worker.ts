/** The yardstick for the broker's throughput: a Worker that answers every request with fixed JSON. */
const BODY = JSON.stringify({
  access_token: "x".repeat(600),
  token_type: "Bearer",
  expires_in: 300,
});

export default {
  fetch: () => new Response(BODY, { headers: { "content-type": "application/json" } }),
} satisfies ExportedHandler;
