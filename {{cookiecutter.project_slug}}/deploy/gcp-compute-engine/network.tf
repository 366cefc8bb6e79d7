resource "google_compute_network" "service" {
  name                    = local.name
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"

  depends_on = [google_project_service.required]
}

resource "google_compute_subnetwork" "service" {
  name                     = local.name
  network                  = google_compute_network.service.id
  region                   = var.region
  ip_cidr_range            = "10.10.0.0/24"
  private_ip_google_access = true # image pulls, logging and the capture bucket without public IPs

  log_config {
    aggregation_interval = "INTERVAL_5_SEC"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

# The load balancer's proxies and health checkers are the only clients of the service port;
# callers are filtered by Cloud Armor at the load balancer (loadbalancer.tf).
resource "google_compute_firewall" "load_balancer" {
  name          = "${local.name}-allow-lb"
  network       = google_compute_network.service.id
  direction     = "INGRESS"
  source_ranges = ["35.191.0.0/16", "130.211.0.0/22"]

  target_service_accounts = [google_service_account.instance.email]

  allow {
    protocol = "tcp"
    ports    = [tostring(local.port)]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

# SSH only through Identity-Aware Proxy's TCP forwarding range, never from the internet.
resource "google_compute_firewall" "iap_ssh" {
  count = var.enable_iap_ssh ? 1 : 0

  name          = "${local.name}-allow-iap-ssh"
  network       = google_compute_network.service.id
  direction     = "INGRESS"
  source_ranges = ["35.235.240.0/20"]

  target_service_accounts = [google_service_account.instance.email]

  allow {
    protocol = "tcp"
    ports    = ["22"]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}
