# The global external Application Load Balancer: one serverless NEG and backend service per
# Cloud Function, a URL map generated from the route table, /media/* to the CDN bucket.

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

resource "google_compute_url_map" "api" {
  name            = "api"
  default_service = google_compute_backend_bucket.media.id

  host_rule {
    hosts        = [var.domain]
    path_matcher = "routes"
  }

  path_matcher {
    name            = "routes"
    default_service = google_compute_backend_bucket.media.id

    dynamic "route_rules" {
      for_each = local.url_rules
      content {
        priority = route_rules.value.priority
        service  = google_compute_backend_service.fn[route_rules.value.function].id
        match_rules {
          full_path_match     = route_rules.value.full_path
          path_template_match = route_rules.value.path_template
        }
      }
    }

    route_rules {
      priority = 1000
      service  = google_compute_backend_bucket.media.id
      match_rules {
        prefix_match = "/media/"
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
}

resource "google_compute_managed_ssl_certificate" "api" {
  name = "api"
  managed {
    domains = [var.domain]
  }
}

resource "google_compute_ssl_policy" "modern" {
  name            = "modern-tls12"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
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
