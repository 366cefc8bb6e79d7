resource "google_compute_global_address" "service" {
  name = local.name

  depends_on = [google_project_service.required]
}

# Only the allowed ranges reach the service; Log4Shell probes are refused before them.
resource "google_compute_security_policy" "service" {
  name        = local.name
  description = "Callers allowed to reach ${local.name}"

  rule {
    action      = "deny(403)"
    priority    = 900
    description = "Block Log4j JNDI lookups (CVE-2021-44228, CVE-2021-45046)"

    match {
      expr {
        expression = "evaluatePreconfiguredWaf('cve-canary')"
      }
    }
  }

  rule {
    action      = "allow"
    priority    = 1000
    description = "Allowed callers"

    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = var.allowed_source_ranges
      }
    }
  }

  rule {
    action      = "deny(403)"
    priority    = 2147483647
    description = "Everyone else"

    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }
}

resource "google_compute_backend_service" "service" {
  name                            = local.name
  protocol                        = "HTTP"
  port_name                       = "http"
  load_balancing_scheme           = "EXTERNAL_MANAGED"
  timeout_sec                     = 30
  connection_draining_timeout_sec = 30
  health_checks                   = [google_compute_health_check.ready.id]
  security_policy                 = google_compute_security_policy.service.id

  backend {
    group           = google_compute_region_instance_group_manager.service.instance_group
    balancing_mode  = "UTILIZATION"
    capacity_scaler = 1.0
  }

  log_config {
    enable      = true
    sample_rate = 1.0
  }
}

resource "google_compute_url_map" "service" {
  name            = local.name
  default_service = google_compute_backend_service.service.id
}

resource "google_compute_target_http_proxy" "service" {
  name    = local.name
  url_map = google_compute_url_map.service.id
}

resource "google_compute_global_forwarding_rule" "service" {
  name                  = local.name
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_protocol           = "TCP"
  port_range            = "80"
  ip_address            = google_compute_global_address.service.id
  target                = google_compute_target_http_proxy.service.id
}
