# Log-based metrics and alerts. Every function logs one JSON line per request and ERROR for a
# 5xx or a final failure (lib/routing.py): a reminder batch on its last attempt logs at ERROR
# after recording the failure, and a webhook that cannot process an event answers 5xx, so
# ERROR lines of those functions are the signal.
locals {
  log_alerts = {
    reminder-final-failures = {
      concern = "reminders"
      title   = "Reminder sends failed for good"
      runbook = "docs/operations.md#reminders-stopped"
    }
    webhook-processing-errors = {
      concern = "stripe_webhook"
      title   = "Stripe webhook processing errors"
      runbook = "docs/operations.md#webhook-failing"
    }
  }
}

resource "google_logging_metric" "alert" {
  for_each    = local.log_alerts
  name        = each.key
  description = each.value.title
  filter      = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=~\"^${replace(each.value.concern, "_", "-")}-\" AND severity>=ERROR"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }
}

resource "google_monitoring_notification_channel" "email" {
  count        = var.alert_email == "" ? 0 : 1
  display_name = "Backend alerts"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }
}

resource "google_monitoring_alert_policy" "alert" {
  for_each              = local.log_alerts
  display_name          = each.value.title
  combiner              = "OR"
  notification_channels = google_monitoring_notification_channel.email[*].id

  conditions {
    display_name = "${each.value.title}: any in 5 minutes"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.alert[each.key].name}\" AND resource.type=\"cloud_run_revision\""
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
    content   = "Runbook: ${each.value.runbook}. Read the failing lines with: resource.type=\"cloud_run_revision\" AND resource.labels.service_name=~\"^${replace(each.value.concern, "_", "-")}-\" AND severity>=ERROR"
    mime_type = "text/markdown"
  }
}
