# Alerts on what callers see at the endpoint. The container's own metrics (/metrics) are not
# scraped on Vertex AI; its logs are in Cloud Logging.

locals {
  endpoint_filter = join(" AND ", [
    "resource.type = \"aiplatform.googleapis.com/Endpoint\"",
    "resource.labels.endpoint_id = \"${google_vertex_ai_endpoint.service.name}\"",
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

resource "google_monitoring_alert_policy" "errors" {
  display_name          = "${local.name}: prediction errors"
  combiner              = "OR"
  notification_channels = local.notification_channels
  severity              = "ERROR"

  conditions {
    display_name = "Failed online predictions in 5 minutes"

    condition_threshold {
      filter          = "${local.endpoint_filter} AND metric.type = \"aiplatform.googleapis.com/prediction/online/error_count\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.error_count_threshold
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.labels.endpoint_id"]
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
    content   = "More than ${var.error_count_threshold} predictions of ${local.name} failed in 5 minutes. Check the container logs of endpoint ${google_vertex_ai_endpoint.service.name} (resource `aiplatform.googleapis.com/Endpoint`) and the last deployment."
  }
}

resource "google_monitoring_alert_policy" "latency" {
  display_name          = "${local.name}: p95 latency above ${var.latency_threshold_ms} ms"
  combiner              = "OR"
  notification_channels = local.notification_channels
  severity              = "WARNING"

  conditions {
    display_name = "95th percentile of the online prediction latency"

    condition_threshold {
      filter          = "${local.endpoint_filter} AND metric.type = \"aiplatform.googleapis.com/prediction/online/prediction_latencies\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.latency_threshold_ms
      duration        = "600s"

      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_PERCENTILE_95"
        group_by_fields      = ["resource.labels.endpoint_id", "metric.labels.latency_type"]
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
    content   = "Predictions of ${local.name} took more than ${var.latency_threshold_ms} ms (p95) for 10 minutes. Check the replica count (at most ${var.max_replicas}) and the batch sizes callers send."
  }
}
