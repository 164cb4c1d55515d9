// The wellness API client for apps: openapi-fetch over the generated types (schema.d.ts), with
// what every call needs around it: the user's Firebase ID token, one refresh and retry on
// `401 auth/id-token-expired`, and a wait of `Retry-After` on `429` and `503` (docs/api.md).
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema";

export type { components, paths };
export type ApiError = components["schemas"]["Error"];

// What the client needs of the signed-in user: firebase/auth's `User` is one.
export interface IdTokenSource {
  getIdToken(forceRefresh?: boolean): Promise<string>;
}

export interface WellnessClientOptions {
  // The host serving /openapi.json, e.g. "https://api.example.com" or the local gateway.
  baseUrl: string;
  // The signed-in user, read before each call (e.g. `() => auth.currentUser`); null sends no token.
  user: () => IdTokenSource | null;
  // How many times one call may wait for `Retry-After` before its answer is returned as is.
  maxWaits?: number;
  // The longest wait the client accepts, in seconds; a longer `Retry-After` is returned as is.
  maxWaitSeconds?: number;
  fetch?: (request: Request) => Promise<Response>;
  sleep?: (milliseconds: number) => Promise<void>;
}

const WAIT_STATUSES = new Set([429, 503]);

export function createWellnessClient(options: WellnessClientOptions): Client<paths> {
  return createClient<paths>({ baseUrl: options.baseUrl, fetch: (request) => send(request, options) });
}

async function send(request: Request, options: WellnessClientOptions): Promise<Response> {
  const fetchRequest = options.fetch ?? ((input: Request) => globalThis.fetch(input));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxWaits = options.maxWaits ?? 2;
  const maxWaitSeconds = options.maxWaitSeconds ?? 60;
  let refreshed = false;
  let forceRefresh = false;
  let waits = 0;
  for (;;) {
    const attempt = request.clone();
    const user = options.user();
    if (user !== null) {
      attempt.headers.set("Authorization", `Bearer ${await user.getIdToken(forceRefresh)}`);
    }
    forceRefresh = false;
    const response = await fetchRequest(attempt);
    if (response.status === 401 && user !== null && !refreshed && (await errorCode(response)) === "auth/id-token-expired") {
      refreshed = true;
      forceRefresh = true;
      continue;
    }
    const wait = WAIT_STATUSES.has(response.status) ? retryAfterSeconds(response, Date.now()) : null;
    if (wait !== null && wait <= maxWaitSeconds && waits < maxWaits) {
      waits += 1;
      await sleep(wait * 1000);
      continue;
    }
    return response;
  }
}

// The `code` of an error body, or null when the body is not the API's error shape.
export async function errorCode(response: Response): Promise<string | null> {
  try {
    const body: unknown = await response.clone().json();
    if (typeof body === "object" && body !== null && "error" in body) {
      const error: unknown = body.error;
      if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
        return error.code;
      }
    }
  } catch {
    return null;
  }
  return null;
}

// `Retry-After` in seconds (RFC 9110: whole seconds or an HTTP date), or null when absent or unreadable.
export function retryAfterSeconds(response: Response, nowMs: number): number | null {
  const header = response.headers.get("Retry-After");
  if (header === null) {
    return null;
  }
  if (/^\d+$/.test(header.trim())) {
    return Number(header.trim());
  }
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - nowMs) / 1000));
}
