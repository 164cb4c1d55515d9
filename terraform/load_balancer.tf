# The global external Application Load Balancer: one serverless NEG and backend service per
# Cloud Function, a URL map generated from the route table (app routes only), /media/* to the CDN
# bucket, anything else to a function that answers the API's JSON 404.

resource "google_compute_region_network_endpoint_group" "fn" {
  for_each              = local.functions
  name                  = "neg-${each.value.name}"
  region                = var.region
  network_endpoint_type = "SERVERLESS"

  # A 2nd gen function is served by the Cloud Run service of the same name.
  cloud_run {
    service = google_cloudfunctions2_function.fn[each.key].name
  }
}

resource "google_compute_backend_service" "fn" {
  for_each              = local.functions
  name                  = "be-${each.value.name}"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTPS"
  security_policy       = google_compute_security_policy.api.id

  backend {
    group = google_compute_region_network_endpoint_group.fn[each.key].id
  }

  log_config {
    enable      = true
    sample_rate = 1.0
  }
}

locals {
  # The resource behind each backend name of local.url_map (routes.tf).
  backend_ids = merge(
    { for key, f in local.functions : "function:${key}" => google_compute_backend_service.fn[key].id },
    { "bucket:media" = google_compute_backend_bucket.media.id },
  )
}

# Every attribute comes from local.url_map (routes.tf), which tests resolve URLs through.
resource "google_compute_url_map" "api" {
  name            = "api"
  default_service = local.backend_ids[local.url_map.default_service]

  dynamic "host_rule" {
    for_each = local.url_map.host_rules
    content {
      hosts        = host_rule.value.hosts
      path_matcher = host_rule.value.path_matcher
    }
  }

  dynamic "path_matcher" {
    for_each = local.url_map.path_matchers
    content {
      name            = path_matcher.key
      default_service = local.backend_ids[path_matcher.value.default_service]

      dynamic "route_rules" {
        for_each = path_matcher.value.route_rules
        content {
          priority = route_rules.value.priority
          service  = local.backend_ids[route_rules.value.service]

          dynamic "match_rules" {
            for_each = route_rules.value.match_rules
            content {
              full_path_match     = match_rules.value.full_path_match
              path_template_match = match_rules.value.path_template_match
              prefix_match        = match_rules.value.prefix_match
            }
          }
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = alltrue([for path, keys in local.functions_by_path : length(distinct(keys)) == 1])
      error_message = "The URL map routes by path only: every path in gateway/routes.yaml must belong to one function entry point."
    }
  }
}

resource "google_compute_global_address" "api" {
  name = "api"

  depends_on = [google_project_service.enabled]
}

resource "google_compute_managed_ssl_certificate" "api" {
  name = "api"
  managed {
    domains = [var.domain]
  }

  depends_on = [google_project_service.enabled]
}

resource "google_compute_ssl_policy" "modern" {
  name            = "modern-tls12"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"

  depends_on = [google_project_service.enabled]
}

resource "google_compute_target_https_proxy" "api" {
  name             = "api"
  url_map          = google_compute_url_map.api.id
  ssl_certificates = [google_compute_managed_ssl_certificate.api.id]
  ssl_policy       = google_compute_ssl_policy.modern.id
}

resource "google_compute_global_forwarding_rule" "https" {
  name                  = "api-https"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_address            = google_compute_global_address.api.id
  port_range            = "443"
  target                = google_compute_target_https_proxy.api.id
}

# Plain HTTP only redirects to HTTPS.
resource "google_compute_url_map" "http_redirect" {
  name = "api-http-redirect"
  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }

  depends_on = [google_project_service.enabled]
}

resource "google_compute_target_http_proxy" "http_redirect" {
  name    = "api-http-redirect"
  url_map = google_compute_url_map.http_redirect.id
}

resource "google_compute_global_forwarding_rule" "http" {
  name                  = "api-http"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_address            = google_compute_global_address.api.id
  port_range            = "80"
  target                = google_compute_target_http_proxy.http_redirect.id
}
