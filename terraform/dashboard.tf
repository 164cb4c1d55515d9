# One Cloud Monitoring dashboard: pushes and webhooks by outcome, each function's latency, errors
# and requests, platform refusals and Firestore operations. It reads the log-based metrics of
# monitoring.tf, the ones below (values the sender and the webhook put on their request lines,
# lib/routing.py) and Google's built-in metrics (tests/unit/test_dashboard.py checks each exists).
locals {
  # Distributions of a numeric field of the sender's request line, by the batch's kind.
  push_fields = ["sent", "skipped", "failed"]
  push_metrics = {
    for field in local.push_fields : "reminder_pushes_${field}" => {
      filter = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.sender_service}\" AND jsonPayload.operation=\"reminders_send\""
      field  = field
    }
  }
  dashboard_run_filter = "resource.type=\"cloud_run_revision\""
  firestore_filter     = "resource.type=\"firestore.googleapis.com/Database\""

  # Charts: [title, filter, aligner, reducer, group-by labels].
  push_charts = [
    for field in local.push_fields : {
      title  = "Pushes ${field}, by kind"
      filter = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.pushes["reminder_pushes_${field}"].name}\" AND ${local.dashboard_run_filter}"
      # A distribution's values over the window, summed across series.
      aligner = "ALIGN_DELTA", reducer = "REDUCE_SUM", group_by = ["metric.label.kind"]
    }
  ]
  run_charts = [
    {
      title   = "Webhook events, by outcome"
      filter  = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.webhook_outcomes.name}\" AND ${local.dashboard_run_filter}"
      aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = ["metric.label.outcome"]
    },
    {
      title   = "App Store notifications, by outcome"
      filter  = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.app_store_outcomes.name}\" AND ${local.dashboard_run_filter}"
      aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = ["metric.label.outcome"]
    },
    {
      title   = "Latency p50 per function"
      filter  = "metric.type=\"run.googleapis.com/request_latencies\" AND ${local.dashboard_run_filter}"
      aligner = "ALIGN_PERCENTILE_50", reducer = "REDUCE_MEAN", group_by = ["resource.label.service_name"]
    },
    {
      title   = "Latency p99 per function"
      filter  = "metric.type=\"run.googleapis.com/request_latencies\" AND ${local.dashboard_run_filter}"
      aligner = "ALIGN_PERCENTILE_99", reducer = "REDUCE_MAX", group_by = ["resource.label.service_name"]
    },
    {
      title   = "Requests per function (per second)"
      filter  = "metric.type=\"run.googleapis.com/request_count\" AND ${local.dashboard_run_filter}"
      aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = ["resource.label.service_name"]
    },
    {
      title   = "Platform refusals"
      filter  = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.line["platform_refusals"].name}\" AND ${local.dashboard_run_filter}"
      aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = []
    },
    {
      title   = "Reminder ticks that found users due"
      filter  = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.line["reminder_ticks_due"].name}\" AND ${local.dashboard_run_filter}"
      aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = []
    },
  ]
  # Firestore counts operations per database, not per caller: per concern, read docs/cost.md
  # (the cost bench counts them per route).
  firestore_charts = [
    {
      title   = "Firestore document reads (per second)"
      filter  = "metric.type=\"firestore.googleapis.com/document/read_ops_count\" AND ${local.firestore_filter}"
      aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = []
    },
    {
      title   = "Firestore document writes (per second)"
      filter  = "metric.type=\"firestore.googleapis.com/document/write_ops_count\" AND ${local.firestore_filter}"
      aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = []
    },
    {
      title   = "Firestore document deletes (per second)"
      filter  = "metric.type=\"firestore.googleapis.com/document/delete_ops_count\" AND ${local.firestore_filter}"
      aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = []
    },
  ]
  dashboard_charts = concat(local.push_charts, local.run_charts, local.firestore_charts)
  # Error rate per function: its 5xx answers over all its answers.
  error_rate_chart = {
    title       = "Error rate (5xx share) per function"
    numerator   = "metric.type=\"run.googleapis.com/request_count\" AND ${local.dashboard_run_filter} AND metric.label.response_code_class=\"5xx\""
    denominator = "metric.type=\"run.googleapis.com/request_count\" AND ${local.dashboard_run_filter}"
  }
  error_rate_aggregation = {
    alignmentPeriod    = "300s"
    perSeriesAligner   = "ALIGN_RATE"
    crossSeriesReducer = "REDUCE_SUM"
    groupByFields      = ["resource.label.service_name"]
  }
}

resource "google_logging_metric" "pushes" {
  for_each    = local.push_metrics
  name        = each.key
  description = "Reminder pushes ${each.value.field} per send batch, by kind"
  filter      = each.value.filter

  value_extractor = "EXTRACT(jsonPayload.${each.value.field})"
  label_extractors = {
    kind = "EXTRACT(jsonPayload.kind)"
  }
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 16
      growth_factor      = 2
      scale              = 1
    }
  }
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "DISTRIBUTION"
    unit        = "1"
    labels {
      key        = "kind"
      value_type = "STRING"
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_logging_metric" "webhook_outcomes" {
  name        = "webhook_outcomes"
  description = "Stripe events handled, by outcome"
  filter      = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.webhook_service}\" AND jsonPayload.operation=\"stripe_webhook\""

  label_extractors = {
    outcome = "EXTRACT(jsonPayload.event_outcome)"
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

resource "google_monitoring_dashboard" "operations" {
  dashboard_json = jsonencode({
    displayName = "Wellness backend"
    gridLayout = {
      columns = 3
      widgets = concat([
        {
          title = local.error_rate_chart.title
          xyChart = {
            dataSets = [{
              plotType = "LINE"
              timeSeriesQuery = {
                timeSeriesFilterRatio = {
                  numerator   = { filter = local.error_rate_chart.numerator, aggregation = local.error_rate_aggregation }
                  denominator = { filter = local.error_rate_chart.denominator, aggregation = local.error_rate_aggregation }
                }
              }
            }]
          }
        }
        ], [
        for chart in local.dashboard_charts : {
          title = chart.title
          xyChart = {
            dataSets = [{
              plotType = "LINE"
              timeSeriesQuery = {
                timeSeriesFilter = {
                  filter = chart.filter
                  aggregation = {
                    alignmentPeriod    = "300s"
                    perSeriesAligner   = chart.aligner
                    crossSeriesReducer = chart.reducer
                    groupByFields      = chart.group_by
                  }
                }
              }
            }]
          }
        }
      ])
    }
  })

  depends_on = [google_project_service.enabled]
}
