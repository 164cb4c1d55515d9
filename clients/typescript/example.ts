// An app's life with the API, run against the local stack by tests/e2e/test_typescript_client.py:
// sign up with the Firebase JS SDK (Auth emulator), then every call through the client.
import { initializeApp } from "firebase/app";
import { connectAuthEmulator, createUserWithEmailAndPassword, getAuth } from "firebase/auth";
import { createWellnessClient } from "./client";

export interface ExampleConfig {
  baseUrl: string;
  authEmulatorUrl: string;
  projectId: string;
}

const GONE_CODES = new Set(["auth/account-deleted", "auth/invalid-id-token"]);

function expect(condition: boolean, what: string): asserts condition {
  if (!condition) {
    throw new Error(`expected ${what}`);
  }
}

function step(name: string, detail: unknown): void {
  console.log(JSON.stringify({ step: name, detail }));
}

export async function runExampleFlow(config: ExampleConfig): Promise<void> {
  const suffix = `${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  const app = initializeApp({ apiKey: "local-api-key", projectId: config.projectId }, `example-${suffix}`);
  const auth = getAuth(app);
  connectAuthEmulator(auth, config.authEmulatorUrl, { disableWarnings: true });
  const signedUp = await createUserWithEmailAndPassword(auth, `example-${suffix}@example.com`, `pw-${suffix}`);
  const api = createWellnessClient({ baseUrl: config.baseUrl, user: () => auth.currentUser });
  step("sign-up", signedUp.user.uid);

  const me = await api.GET("/v1/me");
  expect(me.data !== undefined, `a profile, got ${me.response.status}`);
  const zone: string = me.data.timezone;
  expect(me.data.uid === signedUp.user.uid && me.data.streak.current === 0, "a new profile");
  step("profile", { zone, plan: me.data.plan });

  const first = await api.POST("/v1/checkins", { body: {} });
  const second = await api.POST("/v1/checkins", { body: {} });
  expect(first.data !== undefined && second.data !== undefined, "two check-ins answered");
  expect(first.data.local_date === second.data.local_date && second.data.current === 1, "two check-ins count one day");
  step("check-ins", second.data);

  const streak = await api.GET("/v1/streak");
  expect(streak.data !== undefined && streak.data.current === 1 && streak.data.today_done, "a streak of one, done today");
  step("streak", { current: streak.data.current, days: streak.data.days.length });

  const reminder = await api.PUT("/v1/reminder", { body: { enabled: true, local_time: "08:00", timezone: "Europe/Paris" } });
  expect(reminder.data !== undefined && reminder.data.enabled, "a reminder set");
  step("reminder", reminder.data.next_at);

  const installationId = `example-${suffix}`;
  const device = await api.PUT("/v1/devices/{installation_id}", {
    params: { path: { installation_id: installationId } },
    body: { platform: "android" },
  });
  expect(device.data !== undefined && device.data.addressed_by === "fid", "a device registered");
  step("device", device.data.installation_id);

  const catalogue = await api.GET("/v1/content");
  expect(catalogue.data !== undefined, "the catalogue");
  const premium = catalogue.data.items.find((item) => item.tier === "premium");
  expect(premium !== undefined && premium.locked, "a locked premium item");
  step("catalogue", catalogue.data.items.map((item) => item.id));

  const refused = await api.POST("/v1/content/{content_id}/access", { params: { path: { content_id: premium.id } } });
  expect(refused.response.status === 403 && refused.error?.error.code === "permission-denied", "premium refused");
  step("premium-refused", refused.error.error.code);

  const checkout = await api.POST("/v1/billing/checkout-session", { body: {} });
  expect(checkout.data !== undefined && checkout.data.url.length > 0, "a checkout session");
  step("checkout", checkout.data.id);

  const exported = await api.GET("/v1/me/export");
  expect(exported.data !== undefined && exported.data.uid === signedUp.user.uid, "an export");
  step("export", exported.data.documents.length);

  const deleted = await api.DELETE("/v1/me");
  expect(deleted.data !== undefined && deleted.data.uid === signedUp.user.uid, "the account deleted");
  step("delete", deleted.data);

  const after = await api.GET("/v1/me");
  const code = after.error?.error.code;
  expect(after.response.status === 401 && code !== undefined && GONE_CODES.has(code), `the token refused, got ${code}`);
  step("token-refused", code);
}

if (require.main === module) {
  const env = process.env;
  runExampleFlow({
    baseUrl: env["GATEWAY_URL"] ?? "http://127.0.0.1:8080",
    authEmulatorUrl: `http://${env["FIREBASE_AUTH_EMULATOR_HOST"] ?? "127.0.0.1:9099"}`,
    projectId: env["GOOGLE_CLOUD_PROJECT"] ?? "demo-wellness",
  }).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
