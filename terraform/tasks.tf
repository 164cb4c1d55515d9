# The reminders queue bounds the FCM request rate. Each task is one batch of up to 500 users
# (settings().reminders_batch_size), so 5 dispatches/s is at most 2,500 messages/s, a quarter
# of FCM's default project quota (600,000 messages/minute), and 10 batches in flight bound it
# further when sends are slow. A tick of 100,000 due users drains in under a minute.
resource "google_cloud_tasks_queue" "reminders" {
  name     = "reminders"
  location = var.region

  rate_limits {
    max_dispatches_per_second = 5
    max_concurrent_dispatches = 10
  }

  # The same number is the send function's REMINDERS_MAX_ATTEMPTS: it knows its last attempt
  # from X-CloudTasks-TaskRetryCount and records the final failure then.
  retry_config {
    max_attempts       = local.reminders_max_attempts
    min_backoff        = "10s"
    max_backoff        = "300s"
    max_doublings      = 4
    max_retry_duration = "3600s"
  }

  stackdriver_logging_config {
    sampling_ratio = 1.0
  }

  depends_on = [google_project_service.enabled]
}

# Tasks carry OIDC tokens of this account; it can invoke only the send function.
resource "google_service_account" "tasks" {
  account_id   = "reminders-tasks"
  display_name = "Cloud Tasks caller of the reminders send function"

  depends_on = [google_project_service.enabled]
}

# Enqueuers mint the tasks' OIDC tokens, which needs actAs on the tasks account.
resource "google_service_account_iam_member" "tasks_act_as" {
  for_each           = toset(local.tasks_enqueuers)
  service_account_id = google_service_account.tasks.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.function[each.value].email}"
}
