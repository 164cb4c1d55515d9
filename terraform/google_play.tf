# Google Play's real-time developer notifications (docs/google-play.md). Google Play publishes to
# the topic as its own publisher account; Pub/Sub pushes each message to the function's run.app
# URL with an OIDC token of the push account, which alone may invoke the function and whose
# token the function checks (local.google_play_push, routes.tf).
resource "google_pubsub_topic" "google_play" {
  name = "google-play-rtdn"

  depends_on = [google_project_service.enabled]

  #checkov:skip=CKV_GCP_83:Google-managed encryption is accepted for notifications that carry only a purchase token.
}

# Play Console's "Real-time developer notifications" publishes as this account (Google Play's
# RTDN setup guide); without the grant it refuses the topic.
resource "google_pubsub_topic_iam_member" "google_play_publisher" {
  topic  = google_pubsub_topic.google_play.id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:google-play-developer-notifications@system.gserviceaccount.com"
}

resource "google_service_account" "google_play_push" {
  account_id   = "google-play-push"
  display_name = "Pub/Sub push of Google Play notifications"

  depends_on = [google_project_service.enabled]
}

# Pub/Sub's service agent mints the push's OIDC token as the push account, which needs the
# Service Account Token Creator role on that account alone (Pub/Sub's push authentication guide).
resource "google_service_account_iam_member" "google_play_push_token" {
  service_account_id = google_service_account.google_play_push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  depends_on = [google_project_service.enabled]
}

resource "google_cloud_run_service_iam_member" "google_play_push" {
  location = var.region
  service  = google_cloudfunctions2_function.fn[local.google_play_function].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.google_play_push.email}"
}

resource "google_pubsub_subscription" "google_play" {
  name  = "google-play-rtdn-push"
  topic = google_pubsub_topic.google_play.id

  # The function's lease on a notification lasts as long (GOOGLE_PLAY_NOTIFICATION_LEASE_S).
  ack_deadline_seconds       = local.google_play_push.ack_deadline_seconds
  message_retention_duration = "604800s"

  push_config {
    push_endpoint = local.google_play_push.push_endpoint
    oidc_token {
      service_account_email = local.google_play_push.service_account_email
      audience              = local.google_play_push.audience
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_service_account_iam_member.google_play_push_token, google_cloud_run_service_iam_member.google_play_push]
}

# Alerts. A push the function refuses (a token that is not Google's, another audience or account)
# answers 401/403 and logs it on its request line; Cloud Run's own refusals are in
# monitoring.tf's platform_refusals.
locals {
  google_play_service = google_cloudfunctions2_function.fn[local.google_play_function].name
  google_play_lines = {
    google_play_refused   = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.google_play_service}\" AND jsonPayload.operation=\"google_play_notification\" AND (jsonPayload.status=401 OR jsonPayload.status=403)"
    google_play_processed = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.google_play_service}\" AND jsonPayload.operation=\"google_play_notification\" AND jsonPayload.status=200"
  }
}

resource "google_logging_metric" "google_play" {
  for_each    = local.google_play_lines
  name        = each.key
  description = "Log lines: ${each.key}"
  filter      = each.value

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_alert_policy" "google_play_refused" {
  count                 = var.alert_policies ? 1 : 0
  display_name          = "Google Play notifications refused by their token check"
  combiner              = "OR"
  notification_channels = google_monitoring_notification_channel.email[*].id

  conditions {
    display_name = "A push answered 401/403 in 5 minutes"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.google_play["google_play_refused"].name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    content   = "Runbook: docs/operations.md#google-play-notifications-refused"
    mime_type = "text/markdown"
  }
}

# Every live subscription brings a notification at least once a period (a renewal, a
# cancellation, an expiry): notifications in the last 30 days and none for the silence window
# means the topic, the subscription or the push stopped.
resource "google_monitoring_alert_policy" "google_play_silence" {
  count                 = var.alert_policies && var.google_play_silence_hours > 0 ? 1 : 0
  display_name          = "No Google Play notification for ${var.google_play_silence_hours} hours"
  combiner              = "OR"
  notification_channels = google_monitoring_notification_channel.email[*].id

  conditions {
    display_name = "Notifications processed in the last 30 days, none in ${var.google_play_silence_hours} hours"
    condition_prometheus_query_language {
      query               = "sum(increase(logging_googleapis_com:user_${google_logging_metric.google_play["google_play_processed"].name}{monitored_resource=\"cloud_run_revision\"}[30d])) > 0 unless sum(increase(logging_googleapis_com:user_${google_logging_metric.google_play["google_play_processed"].name}{monitored_resource=\"cloud_run_revision\"}[${var.google_play_silence_hours}h])) > 0"
      duration            = "0s"
      evaluation_interval = "300s"
    }
  }

  documentation {
    content   = "Runbook: docs/operations.md#no-google-play-notification"
    mime_type = "text/markdown"
  }
}

output "google_play_topic" {
  description = "The topic to enter in Play Console, Monetization setup, Real-time developer notifications."
  value       = google_pubsub_topic.google_play.id
}
