# Identity Platform calls the blocking functions (auth_hooks before_create / before_sign_in)
# with a signed JWT, which firebase-functions' identity_fn verifies in the function. The JWT's
# audience is the URI registered here, and firebase-functions (Python) accepts a 2nd-gen
# blocking token only if that audience contains "run.app": so the Cloud Run URI
# (service_config[0].uri), never the cloudfunctions.net `url`. See docs/decisions.
#
# Creating this resource calls initializeAuth, which fails where Identity Platform was enabled by
# hand, so `make bootstrap` imports the config when it exists
# (https://cloud.google.com/identity-platform/docs/reference/rest/v2/projects.identityPlatform/initializeAuth).
# The provider cannot delete it: docs/deploy.md ("Teardown") says how to clear the triggers.
resource "google_identity_platform_config" "auth" {
  project = var.project

  # The smoke check and the app sign in with email and password.
  sign_in {
    email {
      enabled           = true
      password_required = true
    }
  }

  blocking_functions {
    dynamic "triggers" {
      for_each = local.blocking_functions
      content {
        event_type   = triggers.value
        function_uri = google_cloudfunctions2_function.fn[triggers.key].service_config[0].uri
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
