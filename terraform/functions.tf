# One Cloud Function (2nd gen) per entry point of the route table, each with its own service
# account. Sources are the zips `make package` writes to dist/; an object name carries the
# zip's hash, so only changed functions redeploy and a rollback is a re-apply of the old zip.

resource "google_storage_bucket" "sources" {
  name                        = "${var.project}-function-sources"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  #checkov:skip=CKV_GCP_62:Access logs of a bucket written only by Terraform add nothing; Cloud Audit Logs record the writes.
}

# The plan service account (docs/deploy.md, "One-time setup") reads the zips it plans with here and
# the state in the state bucket, and no other bucket: not the premium media.
resource "google_storage_bucket_iam_member" "planner_sources" {
  bucket = google_storage_bucket.sources.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:planner@${var.project}.iam.gserviceaccount.com"
}

resource "google_storage_bucket_object" "source" {
  for_each = toset([for f in local.functions : f.concern])
  name     = "${each.value}-${filemd5("${path.module}/../dist/${each.value}.zip")}.zip"
  bucket   = google_storage_bucket.sources.name
  source   = "${path.module}/../dist/${each.value}.zip"
}

# Builds run as their own account rather than the default compute account (Editor).
resource "google_service_account" "build" {
  account_id   = "fn-build"
  display_name = "Cloud Functions builds"

  depends_on = [google_project_service.enabled]
}

# What a Cloud Functions build needs (Google's "build service account" page: Logs Writer, Artifact
# Registry Writer, Storage Object Admin): write build logs, push the image, read the source and
# store build objects. Without Logs Writer a failing build leaves no log to read.
resource "google_project_iam_member" "build" {
  for_each = toset(["roles/logging.logWriter", "roles/artifactregistry.writer"])
  project  = var.project
  role     = each.value
  member   = "serviceAccount:${google_service_account.build.email}"
}

# Object access only on the buckets a build reads and writes: ours, which holds the zips, and
# the ones Cloud Functions creates for staged sources and uploads (gcf-v2-sources-*, gcf-v2-uploads-*).
resource "google_project_iam_member" "build_objects" {
  project = var.project
  role    = "roles/storage.objectAdmin"
  member  = "serviceAccount:${google_service_account.build.email}"

  condition {
    title       = "function-source-buckets"
    description = "The function source bucket and the Cloud Functions staging buckets only"
    expression  = join(" || ", [for prefix in local.build_bucket_prefixes : "resource.name.startsWith(\"projects/_/buckets/${prefix}\")"])
  }
}

resource "google_service_account" "function" {
  for_each     = local.functions
  account_id   = each.value.account_id
  display_name = "Cloud Function ${each.key}"

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "function" {
  for_each = local.role_bindings
  project  = var.project
  role     = each.value.role
  member   = "serviceAccount:${google_service_account.function[each.value.function].email}"
}

locals {
  # The values of settings that come from variables and resources; routes.tf turns them and the
  # literal ones into each function's environment. Tests evaluate routes.tf with stand-ins for
  # exactly these keys.
  deployment = {
    project                          = var.project
    region                           = var.region
    domain                           = var.domain
    reminders_queue                  = google_cloud_tasks_queue.reminders.name
    project_number                   = data.google_project.this.number
    reminders_task_service_account   = google_service_account.tasks.email
    scheduler_service_account        = google_service_account.scheduler.email
    stripe_price_id                  = var.stripe_price_id
    app_return_url                   = var.app_return_url
    cdn_signing_key_name             = var.cdn_signing_key_name
    google_play_package_name         = var.google_play_package_name
    google_play_push_service_account = google_service_account.google_play_push.email
    app_store_bundle_id              = var.app_store_bundle_id
    app_store_app_apple_id           = tostring(var.app_store_app_apple_id)
    app_store_environment            = var.app_store_environment
  }
  build_bucket_prefixes = [
    google_storage_bucket.sources.name,
    "gcf-v2-sources-${data.google_project.this.number}-${var.region}",
    "gcf-v2-uploads-${data.google_project.this.number}-${var.region}",
  ]
}

resource "google_cloudfunctions2_function" "fn" {
  for_each    = local.functions
  name        = each.value.name
  location    = var.region
  description = "${each.value.concern}.${each.value.entry_point}: ${join(", ", each.value.paths)}"

  build_config {
    runtime         = "python311"
    entry_point     = each.value.entry_point
    service_account = google_service_account.build.id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.source[each.value.concern].name
      }
    }
  }

  service_config {
    available_memory                 = local.function_config[each.key].memory
    available_cpu                    = local.function_config[each.key].cpu
    max_instance_count               = local.function_config[each.key].max_instances
    min_instance_count               = local.function_config[each.key].min_instances
    timeout_seconds                  = local.function_config[each.key].timeout_seconds
    service_account_email            = google_service_account.function[each.key].email
    all_traffic_on_latest_revision   = true
    ingress_settings                 = each.value.access == "identity_platform" ? "ALLOW_ALL" : "ALLOW_INTERNAL_AND_GCLB"
    environment_variables            = local.function_env[each.key]
    max_instance_request_concurrency = local.function_config[each.key].concurrency

    dynamic "secret_environment_variables" {
      for_each = toset(local.function_secrets[each.key])
      content {
        key        = local.secrets[secret_environment_variables.value].env
        project_id = var.project
        secret     = google_secret_manager_secret.secret[secret_environment_variables.value].secret_id
        version    = "latest"
      }
    }
  }

  depends_on = [google_project_service.enabled, google_secret_manager_secret_iam_member.reader, google_project_iam_member.build, google_project_iam_member.build_objects, google_artifact_registry_repository.gcf_artifacts]

  #checkov:skip=CKV_GCP_124:Only the Identity Platform blocking functions get ALLOW_ALL: Identity Platform calls them from outside the load balancer, and identity_fn verifies its signed JWT in code. Every other function is ALLOW_INTERNAL_AND_GCLB.
}

# Public entry points sit behind the load balancer (ingress internal-and-gclb), which cannot
# carry an identity: they are invokable by allUsers and verify the Firebase ID token (or the
# Stripe signature, or Identity Platform's JWT) in code. Internal entry points are not: only
# the scheduler or tasks service account that calls each one holds its invoker role.
resource "google_cloud_run_service_iam_member" "public" {
  for_each = { for key, f in local.functions : key => f if !contains(["internal", "pubsub_push"], f.access) }
  location = var.region
  service  = google_cloudfunctions2_function.fn[each.key].name
  role     = "roles/run.invoker"
  member   = "allUsers"

  #checkov:skip=CKV_GCP_102:A serverless NEG behind the external load balancer carries no caller identity, so public entry points must be invokable by allUsers; ingress internal-and-gclb keeps the run.app URL closed, and the code verifies Firebase ID tokens, Stripe signatures or Identity Platform JWTs. Internal entry points get no such binding.
}

resource "google_cloud_run_service_iam_member" "internal" {
  for_each = local.internal_invokers
  location = var.region
  service  = google_cloudfunctions2_function.fn[each.value.function].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${each.value.caller == "scheduler" ? google_service_account.scheduler.email : google_service_account.tasks.email}"
}
