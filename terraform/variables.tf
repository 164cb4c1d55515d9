variable "project" {
  description = "Google Cloud project id (Firebase project)."
  type        = string
}

variable "region" {
  description = "Region of the functions, the queue and the scheduler jobs."
  type        = string
  default     = "europe-west1"
}

variable "domain" {
  description = "Public host name of the API (the managed certificate is issued for it)."
  type        = string
}

variable "firestore_database" {
  description = "Firestore database id."
  type        = string
  default     = "(default)"
}

variable "firestore_location" {
  description = "Location of the Firestore database (e.g. eur3, nam5, europe-west1); fixed once the database exists."
  type        = string
}

variable "alert_policies" {
  description = "Create the alert policies. A first deploy applies once without them: a policy on a log-based metric created in the same apply is refused for minutes (docs/deploy.md, First deploy)."
  type        = bool
  default     = true
}

variable "cdn_signing_key_name" {
  description = "Name of the Cloud CDN signed-URL key on the media backend bucket; the key value lives only in Secret Manager (cdn-signing-key)."
  type        = string
  default     = "media-key-1"
}

variable "alert_email" {
  description = "Where alerts go; empty means alert policies without a notification channel."
  type        = string
  default     = ""
}

variable "stripe_price_id" {
  description = "The Stripe price of the premium subscription (price_...), from the Stripe Dashboard."
  type        = string

  validation {
    condition     = startswith(var.stripe_price_id, "price_")
    error_message = "stripe_price_id is a Stripe price id, price_..."
  }
}

variable "app_return_url" {
  description = "Where Stripe Checkout and the billing portal send the user back: the app's https URL or deep link."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9+.-]*://", var.app_return_url)) && !can(regex("127\\.0\\.0\\.1|localhost", var.app_return_url))
    error_message = "app_return_url is an absolute URL of the app, not a local address."
  }
}

variable "reminder_failure_share_threshold" {
  description = "Alert when a reminder batch ends with more than this share of its users failed for good (0-1)."
  type        = number
  default     = 0.2

  validation {
    condition     = var.reminder_failure_share_threshold > 0 && var.reminder_failure_share_threshold <= 1
    error_message = "reminder_failure_share_threshold is a share, above 0 and at most 1."
  }
}

variable "webhook_silence_hours" {
  description = "Alert when no Stripe webhook was processed for this many hours; 0 turns the alert off (no live subscription yet)."
  type        = number
  default     = 12

  validation {
    condition     = var.webhook_silence_hours >= 0 && var.webhook_silence_hours <= 23 && floor(var.webhook_silence_hours) == var.webhook_silence_hours
    error_message = "webhook_silence_hours is a whole number of hours from 0 (off) to 23."
  }
}

variable "task_failed_attempts_threshold" {
  description = "Alert when more reminder task attempts than this failed in 15 minutes (the sender hands batches back with 429/503 on purpose, so a few are normal)."
  type        = number
  default     = 20
}

variable "google_play_package_name" {
  description = "The app's package name in Google Play (e.g. com.example.wellness), whose purchases the backend reads."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]*(\\.[a-zA-Z][a-zA-Z0-9_]*)+$", var.google_play_package_name))
    error_message = "google_play_package_name is an Android package name, such as com.example.wellness."
  }
}

variable "google_play_silence_hours" {
  description = "Alert when no Google Play notification was processed for this many hours while one was in the last 30 days (store subscriptions live); 0 turns the alert off."
  type        = number
  default     = 72

  validation {
    condition     = var.google_play_silence_hours >= 0 && floor(var.google_play_silence_hours) == var.google_play_silence_hours
    error_message = "google_play_silence_hours is a whole number of hours, 0 for off."
  }
}
