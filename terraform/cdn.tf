# Media: a private bucket behind Cloud CDN; only requests signed with the key named
# var.cdn_signing_key_name (value in Secret Manager, cdn-signing-key) are served.

resource "google_storage_bucket" "media" {
  name                        = "${var.project}-media"
  location                    = "EU"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = true
  }

  #checkov:skip=CKV_GCP_62:Cloud CDN request logs on the backend bucket record every media fetch; bucket access logs would duplicate them.
}

resource "google_compute_backend_bucket" "media" {
  name        = "media"
  bucket_name = google_storage_bucket.media.name
  enable_cdn  = true

  cdn_policy {
    cache_mode                   = "CACHE_ALL_STATIC"
    default_ttl                  = 3600
    max_ttl                      = 86400
    signed_url_cache_max_age_sec = 3600
  }

  depends_on = [google_project_service.enabled]
}

# Cloud CDN fetches objects with its own service agent; nobody else reads the bucket. The agent
# exists only once a backend has a signed-URL key, so a first deploy adds the key before this
# grant (https://cloud.google.com/cdn/docs/using-signed-urls#configure_permissions;
# deploy/bootstrap_steps.py).
resource "google_storage_bucket_iam_member" "cdn_reader" {
  bucket = google_storage_bucket.media.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:service-${data.google_project.this.number}@cloud-cdn-fill.iam.gserviceaccount.com"

  depends_on = [google_compute_backend_bucket.media]
}

# The signed-URL key itself is attached out of band from the Secret Manager value (see
# docs/deploy.md, "First deploy"): the provider's google_compute_backend_bucket_signed_url_key
# keeps the key value in Terraform state, which this project does not allow for secrets.
