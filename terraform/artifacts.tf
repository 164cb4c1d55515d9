# The repository Cloud Functions pushes every build's image to. Without a cleanup policy each
# deploy's images stay and are billed; Terraform creates it before the first build, or adopts the
# one an earlier build created (deploy/bootstrap_steps.py imports it).
# https://cloud.google.com/artifact-registry/docs/repositories/cleanup-policy
resource "google_artifact_registry_repository" "gcf_artifacts" {
  location      = var.region
  repository_id = "gcf-artifacts"
  description   = "Images of the Cloud Functions builds"
  format        = "DOCKER"

  # A rollback redeploys from the zip (a new build), so only the images of recent builds matter.
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "2592000s"
    }
  }

  depends_on = [google_project_service.enabled]

  #checkov:skip=CKV_GCP_84:Google-managed encryption is accepted for build images; a CMEK key ring is not worth its operations cost here.
}
