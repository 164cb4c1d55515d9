# The App Store (docs/app-store.md): the app's identity at Apple, what App Store Connect is told,
# and the alerts on its notifications. The function and its route come from gateway/routes.yaml
# (routes.tf: stripe_webhook-app_store behind the load balancer at /app-store/notifications); the
# In-App Purchase key, its id and the issuer id are Secret Manager secrets (routes.tf,
# local.secrets: app-store-private-key, app-store-key-id, app-store-issuer-id).

variable "app_store_bundle_id" {
  description = "The app's bundle id; every signed App Store payload must name it."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9.-]+$", var.app_store_bundle_id)) && var.app_store_bundle_id != "app.wellness.local"
    error_message = "app_store_bundle_id is the app's bundle id from App Store Connect, not the local stack's."
  }
}

variable "app_store_app_apple_id" {
  description = "The app's Apple ID (App Store Connect, App Information); production notifications must name it."
  type        = number

  validation {
    condition     = var.app_store_app_apple_id > 0 && floor(var.app_store_app_apple_id) == var.app_store_app_apple_id
    error_message = "app_store_app_apple_id is the app's numeric Apple ID."
  }
}

variable "app_store_environment" {
  description = "The App Store environment this deployment serves: Production, or Sandbox for a test deployment."
  type        = string
  default     = "Production"

  validation {
    condition     = contains(["Production", "Sandbox"], var.app_store_environment)
    error_message = "app_store_environment is Production or Sandbox."
  }
}

variable "app_store_silence_hours" {
  description = "Alert when no App Store notification was processed for this many hours while one was in the last 30 days (store subscriptions live); 0 turns the alert off."
  type        = number
  default     = 72

  validation {
    condition     = var.app_store_silence_hours >= 0 && floor(var.app_store_silence_hours) == var.app_store_silence_hours
    error_message = "app_store_silence_hours is a whole number of hours, 0 for off."
  }
}

output "app_store_notification_url" {
  description = "App Store Connect, App Information, App Store Server Notifications: the Production (or Sandbox) Server URL, Version 2."
  value       = "https://${var.domain}/app-store/notifications"
}

locals {
  app_store_service = google_cloudfunctions2_function.fn["stripe_webhook-app_store"].name
  # Each notification's request line carries `notification_outcome` (functions/stripe_webhook/main.py)
  # and, when verification refused it, `code` (lib/routing.py).
  app_store_lines = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.app_store_service}\" AND jsonPayload.operation=\"app_store_notification\""
  app_store_line_filters = {
    app_store_notifications_processed = "${local.app_store_lines} AND jsonPayload.status=200"
    app_store_verification_failures   = "${local.app_store_lines} AND jsonPayload.code=\"app_store/invalid-signature\""
  }
}

resource "google_logging_metric" "app_store_outcomes" {
  name        = "app_store_outcomes"
  description = "App Store notifications answered 200, by outcome"
  filter      = "${local.app_store_lines} AND jsonPayload.status=200"

  label_extractors = {
    outcome = "EXTRACT(jsonPayload.notification_outcome)"
  }
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key        = "outcome"
      value_type = "STRING"
    }
  }

  depends_on = [google_project_service.enabled]
}

# Counted lines the alerts below watch.
resource "google_logging_metric" "app_store_line" {
  for_each    = local.app_store_line_filters
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

# Apple's own notifications fail verification only when the deployment's bundle id, Apple ID,
# environment or roots are wrong; anyone may post forgeries too, which this also shows.
resource "google_monitoring_alert_policy" "app_store_verification_failures" {
  count                 = var.alert_policies ? 1 : 0
  display_name          = "App Store notifications failing verification"
  combiner              = "OR"
  notification_channels = google_monitoring_notification_channel.email[*].id

  conditions {
    display_name = "A notification refused as not signed for this app in 5 minutes"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.app_store_line["app_store_verification_failures"].name}\" AND resource.type=\"cloud_run_revision\""
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
    content   = "Runbook: docs/operations.md#app-store-notifications-failing-verification"
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_alert_policy" "app_store_silence" {
  count                 = var.alert_policies && var.app_store_silence_hours > 0 ? 1 : 0
  display_name          = "No App Store notification processed for ${var.app_store_silence_hours} hours"
  combiner              = "OR"
  notification_channels = google_monitoring_notification_channel.email[*].id

  # Every live subscription brings a notification at least once a period (a renewal, a
  # cancellation, an expiry), so silence counts only once the last 30 days had notifications.
  conditions {
    display_name = "Notifications processed in the last 30 days, none in ${var.app_store_silence_hours} hours"
    condition_prometheus_query_language {
      query               = "sum(increase(logging_googleapis_com:user_${google_logging_metric.app_store_line["app_store_notifications_processed"].name}{monitored_resource=\"cloud_run_revision\"}[30d])) > 0 unless sum(increase(logging_googleapis_com:user_${google_logging_metric.app_store_line["app_store_notifications_processed"].name}{monitored_resource=\"cloud_run_revision\"}[${var.app_store_silence_hours}h])) > 0"
      duration            = "0s"
      evaluation_interval = "300s"
    }
  }

  documentation {
    content   = "Runbook: docs/operations.md#no-app-store-notification-processed"
    mime_type = "text/markdown"
  }
}
