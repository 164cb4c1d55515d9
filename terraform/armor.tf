# Cloud Armor in front of every function backend. Rules are evaluated by priority and a
# throttle rule that lets a request through ends the evaluation, so the WAF rules come first
# and the most specific rate limit before the general one. Every limit is per client IP: a key
# the client chooses (a header) would give each made-up value its own budget, and since a write
# let through by its own rule never reaches the general one, nothing would bound writes per IP.

resource "google_compute_security_policy" "api" {
  name        = "api"
  description = "Rate limits and WAF for the API"

  # Log4j message lookups (CVE-2021-44228): blocked everywhere.
  rule {
    action   = "deny(403)"
    priority = 900
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('cve-canary')"
      }
    }
    description = "Log4j CVE-2021-44228"
  }

  # Preconfigured WAF at the lowest sensitivity (fewest false positives) on app routes only:
  # the Stripe webhook and internal routes carry payloads written by Stripe and Google, which
  # higher-sensitivity signatures flag. methodenforcement is left out: the API uses PUT,
  # PATCH and DELETE.
  dynamic "rule" {
    for_each = {
      1000 = "sqli-v33-stable"
      1001 = "xss-v33-stable"
      1002 = "lfi-v33-stable"
      1003 = "rce-v33-stable"
      1004 = "protocolattack-v33-stable"
      1005 = "scannerdetection-v33-stable"
    }
    content {
      action   = "deny(403)"
      priority = rule.key
      match {
        expr {
          expression = "request.path.startsWith('/v1/') && evaluatePreconfiguredWaf('${rule.value}', {'sensitivity': 1})"
        }
      }
      description = "WAF ${rule.value}"
    }
  }

  # Billing session routes: 10 per minute per IP (docs/api.md, "Rate limits").
  rule {
    action   = "throttle"
    priority = 2000
    match {
      expr {
        expression = "request.path.startsWith('/v1/billing/')"
      }
    }
    rate_limit_options {
      conform_action = "allow"
      exceed_action  = "deny(429)"
      enforce_on_key = "IP"
      rate_limit_threshold {
        count        = 10
        interval_sec = 60
      }
    }
    description = "Billing sessions per IP"
  }

  # Writes: 120 per minute per IP.
  rule {
    action   = "throttle"
    priority = 2100
    match {
      expr {
        expression = "request.path.startsWith('/v1/') && request.method != 'GET'"
      }
    }
    rate_limit_options {
      conform_action = "allow"
      exceed_action  = "deny(429)"
      enforce_on_key = "IP"
      rate_limit_threshold {
        count        = 120
        interval_sec = 60
      }
    }
    description = "Writes per IP"
  }

  # Every other app route: 600 per minute per IP (10/s, as the local gateway's refill rate).
  rule {
    action   = "throttle"
    priority = 2200
    match {
      expr {
        expression = "request.path.startsWith('/v1/')"
      }
    }
    rate_limit_options {
      conform_action = "allow"
      exceed_action  = "deny(429)"
      enforce_on_key = "IP"
      rate_limit_threshold {
        count        = 600
        interval_sec = 60
      }
    }
    description = "App routes per IP"
  }

  rule {
    action   = "allow"
    priority = 2147483647
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
    description = "Default: allow (the functions authenticate)"
  }

  adaptive_protection_config {
    layer_7_ddos_defense_config {
      enable = true
    }
  }

  depends_on = [google_project_service.enabled]
}
