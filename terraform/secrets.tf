# Secret containers only. Values are added out of band (`gcloud secrets versions add`), so they
# are never in code or in Terraform state; functions read `latest` at instance start.
resource "google_secret_manager_secret" "secret" {
  for_each  = local.secrets
  secret_id = each.key

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]

  #checkov:skip=CKV_GCP_126:Google-managed encryption is accepted for these secrets; a CMEK key ring is not worth its operations cost here.
}

# Each secret is readable by the functions that list it in local.function_settings, no others.
resource "google_secret_manager_secret_iam_member" "reader" {
  for_each  = local.secret_readers
  secret_id = google_secret_manager_secret.secret[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.function[each.value.function].email}"
}
