data "google_compute_image" "cos" {
  project = "cos-cloud"
  family  = "cos-stable"
}

resource "google_compute_instance_template" "service" {
  name_prefix  = "${local.name}-"
  description  = "${local.name} running ${var.image}"
  machine_type = var.machine_type
  region       = var.region

  disk {
    source_image = data.google_compute_image.cos.self_link
    disk_type    = "pd-balanced"
    disk_size_gb = 20
    boot         = true
    auto_delete  = true

    dynamic "disk_encryption_key" {
      for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
      content {
        kms_key_self_link = disk_encryption_key.value
      }
    }
  }

  # No access_config: no public IP. The load balancer reaches the instances on the VPC.
  network_interface {
    subnetwork = google_compute_subnetwork.service.id
  }

  service_account {
    email  = google_service_account.instance.email
    scopes = ["cloud-platform"] # access is limited by the service account's roles
  }

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  scheduling {
    automatic_restart   = true
    on_host_maintenance = "MIGRATE"
  }

  metadata = {
    enable-oslogin            = "TRUE"
    block-project-ssh-keys    = "true"
    serial-port-enable        = "false"
    google-logging-enabled    = "true"
    google-monitoring-enabled = "true"
    user-data = templatefile("${path.module}/cloud-init.yaml.tftpl", {
      service       = var.name
      image         = var.image
      port          = local.port
      registry_host = local.registry_host
      capture_dir   = local.capture_dir
      drift_dir     = local.drift_dir
      drift_object  = local.drift_report_object
      bucket        = google_storage_bucket.capture.name
      sync_image    = var.capture_sync_image
    })
  }

  lifecycle {
    create_before_destroy = true
  }
}

# Load balancer traffic only goes to instances whose /ready answers.
resource "google_compute_health_check" "ready" {
  name                = "${local.name}-ready"
  check_interval_sec  = 10
  timeout_sec         = 5
  healthy_threshold   = 2
  unhealthy_threshold = 3

  http_health_check {
    port         = local.port
    request_path = "/ready"
  }

  log_config {
    enable = true
  }
}

# An instance whose process stops answering /health is recreated.
resource "google_compute_health_check" "live" {
  name                = "${local.name}-live"
  check_interval_sec  = 30
  timeout_sec         = 10
  healthy_threshold   = 1
  unhealthy_threshold = 3

  http_health_check {
    port         = local.port
    request_path = "/health"
  }
}

resource "google_compute_region_instance_group_manager" "service" {
  name               = local.name
  region             = var.region
  base_instance_name = local.name

  version {
    instance_template = google_compute_instance_template.service.self_link_unique
  }

  named_port {
    name = "http"
    port = local.port
  }

  auto_healing_policies {
    health_check      = google_compute_health_check.live.id
    initial_delay_sec = 300
  }

  # A new template rolls out one surge instance per zone at a time, never below capacity.
  update_policy {
    type                         = "PROACTIVE"
    minimal_action               = "REPLACE"
    instance_redistribution_type = "PROACTIVE"
    max_surge_fixed              = 3
    max_unavailable_fixed        = 0
  }

  wait_for_instances        = true
  wait_for_instances_status = "UPDATED"

  timeouts {
    create = "20m"
    update = "20m"
  }
}

resource "google_compute_region_autoscaler" "service" {
  name   = local.name
  region = var.region
  target = google_compute_region_instance_group_manager.service.id

  autoscaling_policy {
    min_replicas    = var.min_instances
    max_replicas    = var.max_instances
    cooldown_period = 120

    cpu_utilization {
      target = 0.6
    }
  }
}
