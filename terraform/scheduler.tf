resource "google_service_account" "scheduler" {
  account_id   = "scheduler-caller"
  display_name = "Cloud Scheduler caller of internal routes"

  depends_on = [google_project_service.enabled]
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

  # Every attribute of the call comes from local.scheduler_targets (routes.tf), which tests send.
  http_target {
    http_method = local.scheduler_targets[each.key].http_method
    uri         = local.scheduler_targets[each.key].uri
    headers     = local.scheduler_targets[each.key].headers
    body        = base64encode(local.scheduler_targets[each.key].body)

    oidc_token {
      service_account_email = local.scheduler_targets[each.key].service_account
      audience              = local.scheduler_targets[each.key].oidc_audience
    }
  }

  depends_on = [google_project_service.enabled]
}
