# Everything routed is derived from gateway/routes.yaml, the table the local gateway serves:
# the Cloud Functions, their NEGs and backend services, the URL map and the IAM of internal
# routes. Adding a row there and running `make package && terraform plan` is the whole deploy
# change. This file holds only locals computed from files (no resources, no variables), so
# tests evaluate it with `terraform console` without any provider.
locals {
  route_table = yamldecode(file("${path.module}/../gateway/routes.yaml")).routes

  # Function "gateway" is the local gateway's own routes (healthz, openapi); in the cloud the
  # load balancer is the gateway.
  cloud_routes = [for r in local.route_table : r if r.function != "gateway"]

  routes_by_function = { for r in local.cloud_routes : "${r.function}-${r.entry_point}" => r... }

  # One Cloud Function (2nd gen) per entry point, keyed `<function>-<entry_point>`.
  # access: "internal" (scheduler / tasks targets: invokable only by their service accounts),
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
        alltrue([for r in rows : r.auth == "identity_platform"]) ? "identity_platform" : "public"
      )
      # Cloud Run names: lowercase letters, digits and hyphens.
      name = replace(lower(key), "_", "-")
      # Service account ids are 6-30 characters: a readable prefix and a hash keep them unique.
      account_id = format("fn-%s-%s", trimsuffix(substr(replace(lower(key), "_", "-"), 0, 18), "-"), substr(sha1(key), 0, 6))
    }
  }

  # The URL map routes by path only, so each path must belong to one function (a precondition
  # on the URL map and a unit test enforce it).
  functions_by_path = { for r in local.cloud_routes : r.path => "${r.function}-${r.entry_point}"... }
  function_by_path  = { for path, keys in local.functions_by_path : path => keys[0] }

  # URL-map route rules, literal paths first, then templates (`{id}` becomes `{id=*}`, one segment).
  literal_paths  = sort([for path in keys(local.function_by_path) : path if length(regexall("[{]", path)) == 0])
  template_paths = sort([for path in keys(local.function_by_path) : path if length(regexall("[{]", path)) > 0])
  url_rules = [
    for index, path in concat(local.literal_paths, local.template_paths) : {
      priority      = index + 1
      path          = path
      function      = local.function_by_path[path]
      full_path     = length(regexall("[{]", path)) == 0 ? path : null
      path_template = length(regexall("[{]", path)) > 0 ? replace(path, "/[{](\\w+)[}]/", "{$1=*}") : null
    }
  ]

  # Per-function settings the route table does not hold. Keys are a concern (`reminders`) or,
  # to narrow one entry point further, `<function>-<entry_point>`; the most specific wins.
  function_defaults = {
    memory          = "256Mi"
    cpu             = "1"
    max_instances   = 10
    concurrency     = 1
    timeout_seconds = 60
    roles           = ["roles/datastore.user"]
    secrets         = []
  }
  function_settings = {
    auth_hooks = {
      # Account deletion and revocation checks need the Auth admin API.
      roles = ["roles/datastore.user", "roles/firebaseauth.admin"]
    }
    streaks = {
      max_instances = 20
    }
    reminders = {
      memory          = "512Mi"
      timeout_seconds = 300
      # Enqueues batches (tick) and re-enqueues retryable remainders (send); sends FCM.
      roles = ["roles/datastore.user", "roles/cloudtasks.enqueuer", "roles/firebasecloudmessaging.admin"]
    }
    stripe_webhook = {
      # Writes entitlements and the `plan` custom claim.
      roles   = ["roles/datastore.user", "roles/firebaseauth.admin"]
      secrets = ["stripe-api-key"]
    }
    "stripe_webhook-webhook" = {
      # Only the webhook verifies Stripe signatures.
      secrets = ["stripe-api-key", "stripe-webhook-secret"]
    }
    content_urls = {
      roles   = ["roles/datastore.viewer"]
      secrets = ["cdn-signing-key"]
    }
  }
  function_config = {
    for key, f in local.functions : key => merge(
      local.function_defaults,
      try(local.function_settings[f.concern], {}),
      try(local.function_settings[key], {}),
    )
  }

  # Secret Manager secrets: containers only; values are added out of band (see the README),
  # so no secret value is ever in code or in Terraform state. `env` is the variable that
  # lib/config.py reads.
  secrets = {
    "stripe-api-key"        = { env = "STRIPE_API_KEY" }
    "stripe-webhook-secret" = { env = "STRIPE_WEBHOOK_SECRET" }
    # Value format `<key name>:<base64 key>`, as CDN_KEYS in lib/config.py.
    "cdn-signing-key" = { env = "CDN_KEYS" }
  }
  secret_readers = {
    for pair in flatten([
      for key, config in local.function_config : [
        for secret in config.secrets : { id = "${secret}/${key}", secret = secret, function = key }
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

  # Identity Platform blocking events by entry point.
  blocking_events = {
    before_create  = "beforeCreate"
    before_sign_in = "beforeSignIn"
  }
  blocking_functions = {
    for key, f in local.functions : key => local.blocking_events[f.entry_point]
    if f.access == "identity_platform"
  }

  # Firestore composite indexes come from the same file the emulator and `firebase deploy` use.
  firestore_indexes = jsondecode(file("${path.module}/../firestore.indexes.json")).indexes
  # TTL policies: documents are deleted some time after the timestamp in the field.
  ttl_fields = {
    stripe_events  = "expire_at"
    reminder_sends = "expire_at"
  }
}
