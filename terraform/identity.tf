# Identity Platform calls the blocking functions (auth_hooks before_create / before_sign_in)
# with a signed JWT, which firebase-functions' identity_fn verifies in the function.
resource "google_identity_platform_config" "auth" {
  project = var.project

  blocking_functions {
    dynamic "triggers" {
      for_each = local.blocking_functions
      content {
        event_type   = triggers.value
        function_uri = google_cloudfunctions2_function.fn[triggers.key].url
      }
    }

    forward_inbound_credentials {
      id_token      = false
      access_token  = false
      refresh_token = false
    }
  }

  depends_on = [google_project_service.enabled]
}
