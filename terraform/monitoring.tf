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

# Every alert policy is created only with var.alert_policies: a policy on a log-based metric is
# refused for minutes after the metric is created
# (https://github.com/hashicorp/terraform-provider-google/issues/11102), so a first deploy
# applies without them, then again with them (deploy/bootstrap_steps.py).
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

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_notification_channel" "email" {
  count        = var.alert_email == "" ? 0 : 1
  display_name = "Backend alerts"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_alert_policy" "alert" {
  for_each              = var.alert_policies ? local.log_alerts : {}
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

# Absence alerts: the failures that write no ERROR line. The tick and the sender carry their
# counts on their one request line (lib/routing.py: due and batches on the tick's, users, sent,
# failed and failed_share on the sender's), and the metrics below count those lines.
locals {
  tick_service    = google_cloudfunctions2_function.fn["reminders-tick"].name
  sender_service  = google_cloudfunctions2_function.fn["reminders-send_batch"].name
  webhook_service = google_cloudfunctions2_function.fn["stripe_webhook-webhook"].name
  line_filters = {
    reminder_ticks           = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.tick_service}\" AND jsonPayload.operation=\"reminders_tick\" AND jsonPayload.status=200"
    reminder_ticks_due       = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.tick_service}\" AND jsonPayload.operation=\"reminders_tick\" AND jsonPayload.status=200 AND jsonPayload.due>0"
    reminder_batches_sent    = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.sender_service}\" AND jsonPayload.operation=\"reminders_send\" AND jsonPayload.sent>0"
    reminder_batches_failing = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.sender_service}\" AND jsonPayload.operation=\"reminders_send\" AND jsonPayload.failed_share>${var.reminder_failure_share_threshold}"
    webhooks_processed       = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.webhook_service}\" AND jsonPayload.operation=\"stripe_webhook\" AND jsonPayload.status=200"
    # Cloud Run's own request log holds every answer, including those no instance of our code
    # gave (IAM refusals, no instance available). Public functions are invokable by allUsers,
    # so a 401/403 from the platform is possible only on internal ones; the sender's 429/503
    # and the webhooks' 503 are deliberate hand-backs to Cloud Tasks, Stripe and Apple, counted
    # by the task-attempt alert and the webhook and notification counters instead.
    platform_refusals = join(" AND ", [
      "logName=\"projects/${var.project}/logs/run.googleapis.com%2Frequests\"",
      "resource.type=\"cloud_run_revision\"",
      "(((httpRequest.status=401 OR httpRequest.status=403) AND resource.labels.service_name=(${join(" OR ", [for key, f in local.functions : "\"${f.name}\"" if contains(["internal", "pubsub_push"], f.access)])})) OR ((httpRequest.status=429 OR httpRequest.status>=500) AND NOT resource.labels.service_name=(\"${local.sender_service}\" OR \"${local.webhook_service}\" OR \"${local.app_store_service}\")))",
    ])
  }
}

resource "google_logging_metric" "line" {
  for_each    = local.line_filters
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

# The scheduler calls the tick every 5 minutes: three missed ticks in a row is an outage.
resource "google_monitoring_alert_policy" "no_tick" {
  count                 = var.alert_policies ? 1 : 0
  display_name          = "No reminder tick for 15 minutes"
  combiner              = "OR"
  notification_channels = google_monitoring_notification_channel.email[*].id

  conditions {
    display_name = "No successful tick line for 15 minutes"
    condition_absent {
      filter   = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.line["reminder_ticks"].name}\" AND resource.type=\"cloud_run_revision\""
      duration = "900s"
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

  documentation {
    content   = "Runbook: docs/operations.md#no-tick-for-15-minutes"
    mime_type = "text/markdown"
  }
}

# Users were due (a tick enqueued them over 30 minutes ago) and no batch sent anything since.
resource "google_monitoring_alert_policy" "due_not_sent" {
  count                 = var.alert_policies ? 1 : 0
  display_name          = "Reminders due but none sent within 30 minutes"
  combiner              = "OR"
  notification_channels = google_monitoring_notification_channel.email[*].id

  conditions {
    display_name = "Ticks found users due 30-60 minutes ago; no batch sent any in the last hour"
    condition_prometheus_query_language {
      query               = "sum(increase(logging_googleapis_com:user_${google_logging_metric.line["reminder_ticks_due"].name}{monitored_resource=\"cloud_run_revision\"}[30m] offset 30m)) > 0 unless sum(increase(logging_googleapis_com:user_${google_logging_metric.line["reminder_batches_sent"].name}{monitored_resource=\"cloud_run_revision\"}[1h])) > 0"
      duration            = "0s"
      evaluation_interval = "60s"
    }
  }

  documentation {
    content   = "Runbook: docs/operations.md#reminders-due-but-none-sent"
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_alert_policy" "failure_share" {
  count                 = var.alert_policies ? 1 : 0
  display_name          = "Reminder batches failing for a share of their users"
  combiner              = "OR"
  notification_channels = google_monitoring_notification_channel.email[*].id

  conditions {
    display_name = "A batch ended with more than ${var.reminder_failure_share_threshold * 100}% of its users failed"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.line["reminder_batches_failing"].name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "900s"
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
    content   = "Runbook: docs/operations.md#reminder-sends-failing-for-a-share-of-users"
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_alert_policy" "webhook_silence" {
  count                 = var.alert_policies && var.webhook_silence_hours > 0 ? 1 : 0
  display_name          = "No Stripe webhook processed for ${var.webhook_silence_hours} hours"
  combiner              = "OR"
  notification_channels = google_monitoring_notification_channel.email[*].id

  conditions {
    display_name = "No webhook line answered 200 for ${var.webhook_silence_hours} hours"
    condition_absent {
      filter   = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.line["webhooks_processed"].name}\" AND resource.type=\"cloud_run_revision\""
      duration = "${var.webhook_silence_hours * 3600}s"
      aggregations {
        alignment_period     = "3600s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    content   = "Runbook: docs/operations.md#no-webhook-processed"
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_alert_policy" "platform_refusals" {
  count                 = var.alert_policies ? 1 : 0
  display_name          = "Cloud Run refused requests before our code"
  combiner              = "OR"
  notification_channels = google_monitoring_notification_channel.email[*].id

  conditions {
    display_name = "Request-log 401/403 on internal functions, 429/5xx on any"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.line["platform_refusals"].name}\" AND resource.type=\"cloud_run_revision\""
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
    content   = "Runbook: docs/operations.md#platform-refusals. Read them with: logName=\"projects/${var.project}/logs/run.googleapis.com%2Frequests\" AND httpRequest.status>=400"
    mime_type = "text/markdown"
  }
}

# Google metric cloudtasks.googleapis.com/queue/task_attempt_count, labelled by response_code
# (https://cloud.google.com/monitoring/api/metrics_gcp#gcp-cloudtasks).
resource "google_monitoring_alert_policy" "task_attempts_failed" {
  count                 = var.alert_policies ? 1 : 0
  display_name          = "Reminder task attempts failing"
  combiner              = "OR"
  notification_channels = google_monitoring_notification_channel.email[*].id

  conditions {
    display_name = "Attempts refused for identity or target (403, 401, 404)"
    condition_threshold {
      filter          = "metric.type=\"cloudtasks.googleapis.com/queue/task_attempt_count\" AND resource.type=\"cloud_tasks_queue\" AND resource.label.queue_id=\"${google_cloud_tasks_queue.reminders.name}\" AND metric.label.response_code=one_of(\"PERMISSION_DENIED\", \"UNAUTHENTICATED\", \"NOT_FOUND\")"
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

  conditions {
    display_name = "More than ${var.task_failed_attempts_threshold} failed attempts in 15 minutes"
    condition_threshold {
      filter          = "metric.type=\"cloudtasks.googleapis.com/queue/task_attempt_count\" AND resource.type=\"cloud_tasks_queue\" AND resource.label.queue_id=\"${google_cloud_tasks_queue.reminders.name}\" AND metric.label.response_code!=\"OK\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.task_failed_attempts_threshold
      duration        = "0s"
      aggregations {
        alignment_period     = "900s"
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
    content   = "Runbook: docs/operations.md#reminder-task-attempts-failing"
    mime_type = "text/markdown"
  }
}

# /healthz through the load balancer (served by the auth_hooks `me` function, which reads one
# Firestore document and looks up one Auth user): 200 when both answered, 503 when one did not.
resource "google_monitoring_uptime_check_config" "api" {
  display_name     = "API /healthz through the load balancer"
  timeout          = "10s"
  period           = "300s"
  selected_regions = ["USA", "EUROPE", "ASIA_PACIFIC"]

  http_check {
    path           = "/healthz"
    port           = 443
    use_ssl        = true
    validate_ssl   = true
    request_method = "GET"
    accepted_response_status_codes {
      status_value = 200
    }
  }

  monitored_resource {
    type = "uptime_url"
    labels = {
      project_id = var.project
      host       = var.domain
    }
  }

  content_matchers {
    content = "\"status\": \"ok\""
    matcher = "CONTAINS_STRING"
  }

  depends_on = [google_project_service.enabled]
}

# Google metric monitoring.googleapis.com/uptime_check/check_passed, one series per checking
# region (https://cloud.google.com/monitoring/api/metrics_gcp#gcp-monitoring).
resource "google_monitoring_alert_policy" "uptime" {
  count                 = var.alert_policies ? 1 : 0
  display_name          = "API /healthz failing from several regions"
  combiner              = "OR"
  notification_channels = google_monitoring_notification_channel.email[*].id

  conditions {
    display_name = "Uptime check failed from more than one region for 10 minutes"
    condition_threshold {
      filter          = "metric.type=\"monitoring.googleapis.com/uptime_check/check_passed\" AND resource.type=\"uptime_url\" AND metric.label.check_id=\"${google_monitoring_uptime_check_config.api.uptime_check_id}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 1
      duration        = "600s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_NEXT_OLDER"
        cross_series_reducer = "REDUCE_COUNT_FALSE"
        group_by_fields      = ["resource.label.host"]
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
    content   = "Runbook: docs/operations.md#api-healthz-failing"
    mime_type = "text/markdown"
  }
}
