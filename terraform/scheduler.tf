resource "google_service_account" "scheduler" {
  account_id   = "scheduler-caller"
  display_name = "Cloud Scheduler caller of internal routes"
}

resource "google_cloud_scheduler_job" "job" {
  for_each         = local.scheduled
  name             = each.key
  description      = each.value.description
  region           = var.region
  schedule         = each.value.schedule
  time_zone        = "Etc/UTC"
  attempt_deadline = "320s"

  retry_config {
    retry_count          = 2
    min_backoff_duration = "30s"
    max_backoff_duration = "120s"
  }

  http_target {
    http_method = "POST"
    uri         = "${local.function_urls[each.value.function]}${each.value.path}"
    headers     = { "Content-Type" = "application/json" }
    body        = base64encode("{}")

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.function_urls[each.value.function]
    }
  }

  depends_on = [google_project_service.enabled]
}
