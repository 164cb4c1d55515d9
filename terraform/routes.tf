# Everything routed is derived from gateway/routes.yaml, the table the local gateway serves:
# the Cloud Functions, their NEGs and backend services, the URL map and the IAM of internal
# routes. Adding a row there and running `make package && terraform plan` is the whole deploy
# change. This file holds only locals computed from files and from local.deployment (the values
# of variables and resources, functions.tf), so tests evaluate it with `terraform console`,
# without any provider, for stand-in deployment values.
locals {
  route_table = yamldecode(file("${path.module}/../gateway/routes.yaml")).routes

  # Function "gateway" is the local gateway's own routes (healthz, openapi); in the cloud the
  # load balancer is the gateway.
  cloud_routes = [for r in local.route_table : r if r.function != "gateway"]

  routes_by_function = { for r in local.cloud_routes : "${r.function}-${r.entry_point}" => r... }

  # One Cloud Function (2nd gen) per entry point, keyed `<function>-<entry_point>`.
  # access: "internal" (scheduler / tasks targets: invokable only by their service accounts),
  # "pubsub_push" (Pub/Sub push targets: invokable only by the push subscription's account),
  # "identity_platform" (blocking functions, called by Identity Platform, which verify its JWT
  # themselves), "public" (behind the load balancer; the code verifies Firebase ID tokens).
  functions = {
    for key, rows in local.routes_by_function : key => {
      concern     = rows[0].function
      entry_point = rows[0].entry_point
      paths       = distinct([for r in rows : r.path])
      auth        = distinct([for r in rows : r.auth])
      access = (
        alltrue([for r in rows : r.auth == "internal"]) ? "internal" :
        alltrue([for r in rows : r.auth == "pubsub_push"]) ? "pubsub_push" :
        alltrue([for r in rows : r.auth == "identity_platform"]) ? "identity_platform" : "public"
      )
      # Cloud Run names: lowercase letters, digits and hyphens.
      name = replace(lower(key), "_", "-")
      # Service account ids are 6-30 characters: a readable prefix and a hash keep them unique.
      account_id = format("fn-%s-%s", trimsuffix(substr(replace(lower(key), "_", "-"), 0, 18), "-"), substr(sha1(key), 0, 6))
    }
  }

  # Cloud Run's deterministic URL of each function; scheduler jobs and tasks call it (with the
  # same URL as OIDC audience) rather than the load balancer, and an internal function checks
  # that audience (INTERNAL_AUDIENCE).
  function_urls = {
    for key, f in local.functions : key => "https://${f.name}-${local.deployment.project_number}.${local.deployment.region}.run.app"
  }

  # The URL map routes by path only, so each path must belong to one function (a precondition
  # on the URL map and a unit test enforce it).
  functions_by_path = { for r in local.cloud_routes : r.path => "${r.function}-${r.entry_point}"... }
  function_by_path  = { for path, keys in local.functions_by_path : path => keys[0] }

  # Only routes the app, Stripe and Apple call go through the load balancer: internal routes are
  # called by Cloud Scheduler and Cloud Tasks at run.app, blocking functions by Identity Platform,
  # so their paths fall to the default backend like any unknown path.
  lb_auth_kinds = ["none", "user", "user_revoked", "stripe", "app_store_signature"]
  lb_paths      = distinct([for r in local.cloud_routes : r.path if contains(local.lb_auth_kinds, r.auth)])

  # URL-map route rules, literal paths first, then templates (`{id}` becomes `{id=*}`, one segment).
  literal_paths  = sort([for path in local.lb_paths : path if length(regexall("[{]", path)) == 0])
  template_paths = sort([for path in local.lb_paths : path if length(regexall("[{]", path)) > 0])
  url_rules = [
    for index, path in concat(local.literal_paths, local.template_paths) : {
      priority      = index + 1
      path          = path
      function      = local.function_by_path[path]
      full_path     = length(regexall("[{]", path)) == 0 ? path : null
      path_template = length(regexall("[{]", path)) > 0 ? replace(path, "/[{](\\w+)[}]/", "{$1=*}") : null
    }
  ]

  # What answers a path no rule matches: a function whose routes are all app routes, so it answers
  # with the API's JSON 404 (lib/routing.py) and never serves an internal route.
  fallback_function = sort([
    for key, f in local.functions : key if alltrue([for a in f.auth : contains(local.lb_auth_kinds, a)])
  ])[0]

  # The URL map exactly as google_compute_url_map.api is given it (load_balancer.tf), with backends
  # named "function:<key>" or "bucket:media", so tests resolve URLs through it (deploy/url_map.py).
  url_map = {
    default_service = "function:${local.fallback_function}"
    host_rules      = [{ hosts = [local.deployment.domain], path_matcher = "routes" }]
    path_matchers = {
      routes = {
        default_service = "function:${local.fallback_function}"
        route_rules = concat(
          [
            for rule in local.url_rules : {
              priority    = rule.priority
              service     = "function:${rule.function}"
              match_rules = [{ full_path_match = rule.full_path, path_template_match = rule.path_template, prefix_match = null }]
            }
          ],
          # Media objects are stored under media/ in the bucket: the backend bucket is asked for the
          # request path without its leading slash (docs/media.md).
          [{
            priority    = 1000
            service     = "bucket:media"
            match_rules = [{ full_path_match = null, path_template_match = null, prefix_match = "/media/" }]
          }],
        )
      }
    }
  }

  # Per-function settings the route table does not hold, keyed `<function>-<entry_point>` over a
  # default. Capacity: handlers wait on Firestore, Auth, FCM and Stripe far longer than they
  # compute (a request costs a few ms of CPU against tens of ms of waiting), so one vCPU serves
  # many requests at once: each function-framework thread takes one request, hence THREADS equal
  # to the concurrency (its default is 4 per vCPU). See docs/deploy.md, "Capacity".
  function_defaults = {
    memory          = "512Mi"
    cpu             = "1"
    min_instances   = 0
    max_instances   = 20
    concurrency     = 40
    timeout_seconds = 60
    roles           = ["roles/datastore.user"]
  }
  # Roles: least privilege per deployed function, checked against the permissions its code
  # declares (tests/deploy/test_iam_coverage.py).
  function_settings = {
    "auth_hooks-me" = {
      # Revocation checks (users.get) and account deletion (users.delete).
      roles = ["roles/datastore.user", "roles/firebaseauth.admin"]
    }
    "streaks-streaks" = {
      max_instances = 40
      roles         = ["roles/datastore.user", "roles/firebaseauth.viewer"]
    }
    "content_urls-content" = {
      roles = ["roles/datastore.viewer", "roles/firebaseauth.viewer"]
    }
    "reminders-settings" = {
      roles = ["roles/datastore.user", "roles/firebaseauth.viewer"]
    }
    "reminders-tick" = {
      # One tick every 5 minutes; a batch of 500 users per enqueued task.
      max_instances   = 2
      concurrency     = 1
      timeout_seconds = 300
      roles           = ["roles/datastore.user", "roles/cloudtasks.enqueuer"]
    }
    "reminders-send_batch" = {
      # One batch (500 users, 50 sends in flight) per instance; more instances than the queue's
      # max_concurrent_dispatches, so a dispatch never waits for one.
      max_instances   = 12
      concurrency     = 1
      timeout_seconds = 300
      roles           = ["roles/datastore.user", "roles/firebasecloudmessaging.admin"]
    }
    "reminders-sweep" = {
      max_instances   = 1
      concurrency     = 1
      timeout_seconds = 300
    }
    "stripe_webhook-webhook" = {
      # The `plan` claim: users.get and users.update.
      roles = ["roles/datastore.user", "roles/firebaseauth.admin"]
    }
    "stripe_webhook-app_store" = {
      # The `plan` claim: users.get and users.update.
      roles = ["roles/datastore.user", "roles/firebaseauth.admin"]
    }
    "stripe_webhook-billing" = {
      # A reported store purchase sets the `plan` claim (users.update), as the webhook does.
      roles = ["roles/datastore.user", "roles/firebaseauth.admin"]
    }
    "stripe_webhook-google_play" = {
      # The `plan` claim: users.get and users.update. Google Play's API needs no Google Cloud
      # role: the key's account is granted access in Play Console (docs/google-play.md).
      roles = ["roles/datastore.user", "roles/firebaseauth.admin"]
    }
    "stripe_webhook-reconcile" = {
      max_instances   = 1
      concurrency     = 1
      timeout_seconds = 300
      roles           = ["roles/datastore.user", "roles/firebaseauth.admin"]
    }
  }
  # Identity Platform fails a sign-up or sign-in whose blocking function has not answered within
  # 7 seconds, which a cold start can take: each keeps one warm instance (docs/deploy.md, "Capacity").
  function_config = {
    for key, f in local.functions : key => merge(
      local.function_defaults,
      f.access == "identity_platform" ? { min_instances = 1 } : {},
      try(local.function_settings[key], {}),
    )
  }

  # What each deployed function's code reads in production (lib/function_settings.yaml, checked
  # against the code by tests/deploy/test_settings_parity.py): each function gets exactly these.
  function_setting_names = yamldecode(file("${path.module}/../lib/function_settings.yaml"))

  # The production value of every setting (lib/config.py) a deployed function may read. Values
  # that come from variables and resources are in local.deployment (functions.tf).
  setting_values = {
    ENVIRONMENT                        = "production"
    GOOGLE_CLOUD_PROJECT               = local.deployment.project
    REGION                             = local.deployment.region
    MAX_REQUEST_BYTES                  = "65536"
    APP_DEADLINE_S                     = "8"
    BLOCKED_EMAIL_DOMAINS              = "mailinator.com,guerrillamail.com,10minutemail.com"
    REMINDERS_QUEUE                    = local.deployment.reminders_queue
    REMINDERS_QUEUE_SHARDS             = "1"
    REMINDERS_BATCH_SIZE               = "500"
    REMINDERS_TICK_PAGE_SIZE           = "5000"
    REMINDERS_MAX_ATTEMPTS             = tostring(local.reminders_max_attempts)
    REMINDERS_SEND_CONCURRENCY         = "50"
    REMINDERS_RETRY_BASE_S             = "2"
    REMINDERS_SPREAD_S                 = "60"
    REMINDERS_TASK_TARGET              = local.tasks_target_function == null ? "" : "${local.function_urls[local.tasks_target_function]}${local.tasks_target_path}"
    REMINDERS_TASK_SERVICE_ACCOUNT     = local.deployment.reminders_task_service_account
    TOKEN_IDLE_DAYS                    = "270"
    STRIPE_PRICE_ID                    = local.deployment.stripe_price_id
    APP_RETURN_URL                     = local.deployment.app_return_url
    STRIPE_PLAN                        = "premium"
    STRIPE_TIMEOUT_S                   = "10"
    STRIPE_WEBHOOK_TOLERANCE_S         = "300"
    STRIPE_EVENT_LEASE_S               = "60"
    STRIPE_EVENT_KEEP_DAYS             = "30"
    STRIPE_RECONCILE_WINDOW_H          = "72"
    STRIPE_GRACE_DAYS                  = "7"
    STRIPE_TRIAL_DAYS                  = "7"
    CDN_BASE_URL                       = "https://${local.deployment.domain}/media"
    CDN_SIGNING_KEY_NAME               = local.deployment.cdn_signing_key_name
    MEDIA_URL_TTL_S                    = "600"
    GOOGLE_PLAY_PACKAGE_NAME           = local.deployment.google_play_package_name
    GOOGLE_PLAY_TIMEOUT_S              = "10"
    GOOGLE_PLAY_NOTIFICATION_LEASE_S   = tostring(local.google_play_ack_deadline_s)
    GOOGLE_PLAY_NOTIFICATION_KEEP_DAYS = "10"
    APP_STORE_BUNDLE_ID                = local.deployment.app_store_bundle_id
    APP_STORE_APP_APPLE_ID             = local.deployment.app_store_app_apple_id
    APP_STORE_ENVIRONMENT              = local.deployment.app_store_environment
    APP_STORE_NOTIFICATION_LEASE_S     = "60"
    # Apple retries a notification for about three days (docs/app-store.md).
    APP_STORE_NOTIFICATION_KEEP_DAYS = "30"
  }
  # Settings whose value is each function's own: the audience of the OIDC tokens it accepts (its
  # URL) and the accounts that may call it (those holding its invoker role), for internal routes.
  own_setting_values = {
    for key, f in local.functions : key => {
      INTERNAL_AUDIENCE = local.function_urls[key]
      INTERNAL_CALLERS = join(",", sort(concat(
        [
          for invoker in values(local.internal_invokers) :
          invoker.caller == "scheduler" ? local.deployment.scheduler_service_account : local.deployment.reminders_task_service_account
          if invoker.function == key
        ],
        f.access == "pubsub_push" ? [local.deployment.google_play_push_service_account] : [],
      )))
    }
  }
  # The queue's max_attempts (tasks.tf) and the sender's idea of its last attempt are one number.
  reminders_max_attempts = 5

  # Secret Manager secrets: containers only; values are added out of band (docs/deploy.md), so
  # no secret value is ever in code or in Terraform state. `env` is the setting it holds.
  secrets = {
    "stripe-api-key"        = { env = "STRIPE_API_KEY" }
    "stripe-webhook-secret" = { env = "STRIPE_WEBHOOK_SECRET" }
    # Value format `<key name>:<base64 key>`, as CDN_KEYS in lib/config.py.
    "cdn-signing-key" = { env = "CDN_KEYS" }
    # App Store Connect's In-App Purchase key (the .p8 file's text), its key id and the issuer id.
    "app-store-private-key" = { env = "APP_STORE_PRIVATE_KEY" }
    "app-store-key-id"      = { env = "APP_STORE_KEY_ID" }
    "app-store-issuer-id"   = { env = "APP_STORE_ISSUER_ID" }
    # Google Play's service-account JSON key (docs/google-play.md).
    "google-play-service-account-key" = { env = "GOOGLE_PLAY_SERVICE_ACCOUNT_KEY" }
  }
  secret_by_env = { for name, secret in local.secrets : secret.env => name }

  # Each function's plain environment: its settings that are not secrets, and the thread count
  # of functions-framework's gunicorn (its THREADS variable).
  function_env = {
    for key, f in local.functions : key => merge(
      {
        for name in local.function_setting_names[key] : upper(name) => merge(local.setting_values, local.own_setting_values[key])[upper(name)]
        if !contains(keys(local.secret_by_env), upper(name))
      },
      { THREADS = tostring(local.function_config[key].concurrency) },
    )
  }
  function_secrets = {
    for key, f in local.functions : key => sort([
      for name in local.function_setting_names[key] : local.secret_by_env[upper(name)]
      if contains(keys(local.secret_by_env), upper(name))
    ])
  }
  secret_readers = {
    for pair in flatten([
      for key, secrets in local.function_secrets : [
        for secret in secrets : { id = "${secret}/${key}", secret = secret, function = key }
      ]
    ]) : pair.id => pair
  }
  role_bindings = {
    for pair in flatten([
      for key, config in local.function_config : [
        for role in config.roles : { id = "${key}/${role}", role = role, function = key }
      ]
    ]) : pair.id => pair
  }
  # Functions that enqueue tasks mint the tasks' OIDC tokens, which needs actAs on the tasks account.
  tasks_enqueuers = sort([for key, config in local.function_config : key if contains(config.roles, "roles/cloudtasks.enqueuer")])

  # Cloud Scheduler jobs (UTC). A job is created once its route is in the table.
  scheduler_jobs = {
    reminders-tick    = { path = "/internal/reminders/tick", schedule = "*/5 * * * *", description = "Find users whose reminder is due and enqueue send batches" }
    reminders-sweep   = { path = "/internal/reminders/sweep", schedule = "40 3 * * *", description = "Delete device tokens idle for too long" }
    billing-reconcile = { path = "/internal/billing/reconcile", schedule = "17 * * * *", description = "Feed Stripe events never recorded through the webhook handler" }
  }
  scheduled = {
    for name, job in local.scheduler_jobs : name => merge(job, { function = local.function_by_path[job.path] })
    if contains(keys(local.function_by_path), job.path)
  }
  # The HTTP call each job makes, exactly as google_cloud_scheduler_job.job is given it
  # (scheduler.tf): the function's run.app URL, with that URL as the OIDC audience it checks.
  scheduler_targets = {
    for name, job in local.scheduled : name => {
      http_method     = "POST"
      uri             = "${local.function_urls[job.function]}${job.path}"
      headers         = { "Content-Type" = "application/json" }
      body            = "{}"
      oidc_audience   = local.function_urls[job.function]
      service_account = local.deployment.scheduler_service_account
    }
  }

  # Cloud Tasks target of the reminders queue (one batch per task).
  tasks_target_path     = "/internal/reminders/send"
  tasks_target_function = try(local.function_by_path[local.tasks_target_path], null)

  # Who may invoke each internal function: only the service account that calls it.
  internal_invokers = {
    for pair in flatten([
      for key, f in local.functions : concat(
        [for name, job in local.scheduled : { id = "${key}/scheduler", function = key, caller = "scheduler" } if job.function == key],
        key == local.tasks_target_function ? [{ id = "${key}/tasks", function = key, caller = "tasks" }] : [],
      ) if f.access == "internal"
    ]) : pair.id => pair
  }

  # Google Play's real-time developer notifications: what google_pubsub_subscription.google_play
  # (google_play.tf) is given. Pub/Sub pushes to the function's run.app URL with the route's
  # path, its OIDC token naming the push account and that URL as audience, which the function
  # checks (INTERNAL_AUDIENCE, INTERNAL_CALLERS).
  google_play_path           = "/google-play/notifications"
  google_play_function       = try(local.function_by_path[local.google_play_path], null)
  google_play_ack_deadline_s = 60
  google_play_push = local.google_play_function == null ? null : {
    push_endpoint         = "${local.function_urls[local.google_play_function]}${local.google_play_path}"
    audience              = local.function_urls[local.google_play_function]
    service_account_email = local.deployment.google_play_push_service_account
    ack_deadline_seconds  = local.google_play_ack_deadline_s
  }

  # Identity Platform blocking events by entry point.
  blocking_events = {
    before_create  = "beforeCreate"
    before_sign_in = "beforeSignIn"
  }
  blocking_functions = {
    for key, f in local.functions : key => local.blocking_events[f.entry_point]
    if f.access == "identity_platform"
  }
  # What google_identity_platform_config.auth registers (identity.tf). Identity Platform posts to
  # exactly this URI, so it carries the route's path; the run.app host keeps the JWT audience (the
  # URI) acceptable to firebase-functions (docs/decisions/0009-blocking-functions-run-app-uri.md).
  blocking_triggers = {
    for key, event in local.blocking_functions : key => {
      event_type   = event
      function_uri = "${local.function_urls[key]}${local.functions[key].paths[0]}"
    }
  }

  # Firestore composite indexes come from the same file the emulator and `firebase deploy` use.
  firestore_indexes = jsondecode(file("${path.module}/../firestore.indexes.json")).indexes
  # TTL policies: documents are deleted some time after the timestamp in the field.
  ttl_fields = {
    app_store_notifications   = "expire_at"
    stripe_events             = "expire_at"
    google_play_notifications = "expire_at"
    reminder_sends            = "expire_at"
    reminder_batches          = "expire_at"
    account_notices           = "expire_at"
    checkout_attempts         = "expire_at"
    deleted_accounts          = "expire_at"
  }
}
