# Alerts on what callers see at the load balancer. Metrics of the service itself (/metrics) are
# scraped by the Prometheus setup under monitoring/.

locals {
  lb_filter = join(" AND ", [
    "resource.type = \"https_lb_rule\"",
    "resource.labels.url_map_name = \"${google_compute_url_map.service.name}\"",
  ])
  notification_channels = google_monitoring_notification_channel.email[*].id
}

resource "google_monitoring_notification_channel" "email" {
  count = var.alert_email == null ? 0 : 1

  display_name = "${local.name} on-call"
  type         = "email"

  labels = {
    email_address = var.alert_email
  }

  depends_on = [google_project_service.required]
}

resource "google_monitoring_alert_policy" "error_ratio" {
  display_name          = "${local.name}: 5xx ratio above ${format("%.1f", var.error_ratio_threshold * 100)}%"
  combiner              = "OR"
  notification_channels = local.notification_channels
  severity              = "ERROR"

  conditions {
    display_name = "Share of 5xx responses at the load balancer"

    condition_threshold {
      filter             = "${local.lb_filter} AND metric.type = \"loadbalancing.googleapis.com/https/request_count\" AND metric.labels.response_code_class = 500"
      denominator_filter = "${local.lb_filter} AND metric.type = \"loadbalancing.googleapis.com/https/request_count\""
      comparison         = "COMPARISON_GT"
      threshold_value    = var.error_ratio_threshold
      duration           = "300s"

      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.labels.url_map_name"]
      }

      denominator_aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.labels.url_map_name"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "More than ${format("%.1f", var.error_ratio_threshold * 100)}% of the requests to ${local.name} failed with 5xx for 5 minutes. Check the instance group's health and the service logs (resource `gce_instance`, instance group `${local.name}`)."
  }
}

resource "google_monitoring_alert_policy" "latency" {
  display_name          = "${local.name}: p95 latency above ${var.latency_threshold_ms} ms"
  combiner              = "OR"
  notification_channels = local.notification_channels
  severity              = "WARNING"

  conditions {
    display_name = "95th percentile of the load balancer's total latency"

    condition_threshold {
      filter          = "${local.lb_filter} AND metric.type = \"loadbalancing.googleapis.com/https/total_latencies\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.latency_threshold_ms
      duration        = "600s"

      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_PERCENTILE_95"
        group_by_fields      = ["resource.labels.url_map_name"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Requests to ${local.name} took more than ${var.latency_threshold_ms} ms (p95) for 10 minutes. Check CPU of the instance group (the autoscaler stops at ${var.max_instances} instances) and the batch sizes callers send."
  }
}
