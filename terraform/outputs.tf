output "load_balancer_ip" {
  description = "Point the domain's A record here; the managed certificate is issued once it resolves."
  value       = google_compute_global_address.api.address
}

output "function_urls" {
  description = "Cloud Run URL of each function (internal ones answer only to their callers' OIDC tokens)."
  value       = local.function_urls
}
