# Identity Platform calls the blocking functions (auth_hooks before_create / before_sign_in)
# with a signed JWT, which firebase-functions' identity_fn verifies in the function. Each trigger
# is local.blocking_triggers (routes.tf): the function's run.app URL and its route's path, since
# Identity Platform posts to exactly that URI and the JWT's audience names it. See docs/decisions.
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
      for_each = local.blocking_triggers
      content {
        event_type   = triggers.value.event_type
        function_uri = triggers.value.function_uri
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
