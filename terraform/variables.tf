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
