// The client's retry rules with a stand-in fetch and sleep (`node --test`, run by
// tests/e2e/test_typescript_client.py).
import assert from "node:assert/strict";
import { test } from "node:test";
import { createWellnessClient, retryAfterSeconds } from "./client";

function errorReply(status: number, code: string, headers: Record<string, string> = {}): Response {
  const body = JSON.stringify({ error: { code, message: code } });
  return new Response(body, { status, headers: { "Content-Type": "application/json", ...headers } });
}

function okReply(): Response {
  return new Response(JSON.stringify({ local_date: "2026-06-01" }), { headers: { "Content-Type": "application/json" } });
}

interface Recorded {
  authorizations: (string | null)[];
  bodies: string[];
  refreshes: boolean[];
  sleeps: number[];
}

function clientAnswering(replies: Response[]) {
  const recorded: Recorded = { authorizations: [], bodies: [], refreshes: [], sleeps: [] };
  const user = {
    async getIdToken(forceRefresh?: boolean): Promise<string> {
      recorded.refreshes.push(forceRefresh === true);
      return forceRefresh === true ? "fresh" : "cached";
    },
  };
  const client = createWellnessClient({
    baseUrl: "http://api.test",
    user: () => user,
    fetch: async (request) => {
      recorded.authorizations.push(request.headers.get("Authorization"));
      recorded.bodies.push(await request.text());
      const reply = replies.shift();
      assert.ok(reply, "no more replies");
      return reply;
    },
    sleep: async (ms) => {
      recorded.sleeps.push(ms);
    },
  });
  return { client, recorded };
}

test("an expired token is refreshed once and the call retried with the same body", async () => {
  const { client, recorded } = clientAnswering([errorReply(401, "auth/id-token-expired"), okReply()]);
  const reply = await client.POST("/v1/checkins", { body: { timezone: "Europe/Paris" } });
  assert.equal(reply.response.status, 200);
  assert.deepEqual(recorded.authorizations, ["Bearer cached", "Bearer fresh"]);
  assert.deepEqual(recorded.refreshes, [false, true]);
  assert.deepEqual(recorded.bodies, ['{"timezone":"Europe/Paris"}', '{"timezone":"Europe/Paris"}']);
});

test("a second expired answer is returned, not retried", async () => {
  const { client, recorded } = clientAnswering([
    errorReply(401, "auth/id-token-expired"),
    errorReply(401, "auth/id-token-expired"),
  ]);
  const reply = await client.GET("/v1/me");
  assert.equal(reply.response.status, 401);
  assert.equal(reply.error?.error.code, "auth/id-token-expired");
  assert.equal(recorded.authorizations.length, 2);
});

test("another 401 is returned at once", async () => {
  const { client, recorded } = clientAnswering([errorReply(401, "auth/id-token-revoked")]);
  const reply = await client.GET("/v1/me");
  assert.equal(reply.error?.error.code, "auth/id-token-revoked");
  assert.deepEqual(recorded.refreshes, [false]);
});

test("503 and 429 wait Retry-After and retry", async () => {
  const { client, recorded } = clientAnswering([
    errorReply(503, "unavailable", { "Retry-After": "3" }),
    errorReply(429, "rate-limited", { "Retry-After": "1" }),
    okReply(),
  ]);
  const reply = await client.GET("/v1/streak");
  assert.equal(reply.response.status, 200);
  assert.deepEqual(recorded.sleeps, [3000, 1000]);
});

test("a wait beyond the limit, or a third one, is returned to the caller", async () => {
  const long = clientAnswering([errorReply(503, "unavailable", { "Retry-After": "3600" })]);
  assert.equal((await long.client.GET("/v1/streak")).response.status, 503);
  assert.deepEqual(long.recorded.sleeps, []);
  const busy = clientAnswering([1, 2, 3].map(() => errorReply(503, "unavailable", { "Retry-After": "1" })));
  assert.equal((await busy.client.GET("/v1/streak")).response.status, 503);
  assert.deepEqual(busy.recorded.sleeps, [1000, 1000]);
});

test("Retry-After is whole seconds or an HTTP date", () => {
  const at = Date.parse("2026-06-01T00:00:00Z");
  const dated = new Response(null, { status: 503, headers: { "Retry-After": "Mon, 01 Jun 2026 00:00:30 GMT" } });
  assert.equal(retryAfterSeconds(dated, at), 30);
  assert.equal(retryAfterSeconds(new Response(null, { status: 503, headers: { "Retry-After": "soon" } }), at), null);
  assert.equal(retryAfterSeconds(new Response(null, { status: 503 }), at), null);
});
