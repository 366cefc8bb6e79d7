# Logs and alerts: container logs (syslog) and VM counters to Log Analytics, an availability test
# of /ready from three regions, the VMs' custom metrics of /predict, and metric and log alerts that
# email alert_email.

resource "azurerm_monitor_data_collection_rule" "vm" {
  name                = "dcr-${local.prefix}-vm"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  kind                = "Linux"
  tags                = local.tags

  destinations {
    log_analytics {
      name                  = "workspace"
      workspace_resource_id = azurerm_log_analytics_workspace.main.id
    }
  }

  data_flow {
    streams      = ["Microsoft-Syslog", "Microsoft-Perf"]
    destinations = ["workspace"]
  }

  data_sources {
    syslog {
      name           = "container-and-system-logs"
      streams        = ["Microsoft-Syslog"]
      facility_names = ["daemon", "kern", "syslog", "user"]
      log_levels     = ["Info", "Notice", "Warning", "Error", "Critical", "Alert", "Emergency"]
    }

    performance_counter {
      name                          = "vm-counters"
      streams                       = ["Microsoft-Perf"]
      sampling_frequency_in_seconds = 60
      counter_specifiers = [
        "Processor(*)\\% Processor Time",
        "Memory(*)\\% Used Memory",
        "Logical Disk(*)\\% Used Space",
      ]
    }
  }
}

resource "azurerm_monitor_data_collection_rule_association" "vm" {
  name                    = "vm-logs"
  target_resource_id      = azurerm_linux_virtual_machine_scale_set.service.id
  data_collection_rule_id = azurerm_monitor_data_collection_rule.vm.id
}

resource "azurerm_application_insights" "availability" {
  name                   = "appi-${local.prefix}"
  resource_group_name    = azurerm_resource_group.main.name
  location               = azurerm_resource_group.main.location
  workspace_id           = azurerm_log_analytics_workspace.main.id
  application_type       = "other"
  internet_query_enabled = false
  tags                   = local.tags
}

resource "azurerm_application_insights_standard_web_test" "ready" {
  name                    = "ready-${local.prefix}"
  resource_group_name     = azurerm_resource_group.main.name
  location                = azurerm_resource_group.main.location
  application_insights_id = azurerm_application_insights.availability.id
  frequency               = 300
  timeout                 = 30
  retry_enabled           = true
  enabled                 = true
  geo_locations           = ["emea-nl-ams-azr", "us-va-ash-azr", "apac-sg-sin-azr"]
  tags                    = local.tags

  request {
    url = "${local.endpoint_url}/ready"
  }

  validation_rules {
    expected_status_code = 200
    ssl_check_enabled    = false
  }
}

resource "azurerm_monitor_action_group" "alerts" {
  name                = "ag-${local.prefix}"
  resource_group_name = azurerm_resource_group.main.name
  short_name          = substr(replace(local.prefix, "-", ""), 0, 12)
  tags                = local.tags

  email_receiver {
    name                    = "on-call"
    email_address           = var.alert_email
    use_common_alert_schema = true
  }
}

locals {
  metric_alerts = {
    backends-unhealthy = {
      description = "Some VMs fail the load balancer's /ready probe."
      scope       = azurerm_lb.service.id
      namespace   = "Microsoft.Network/loadBalancers"
      metric      = "DipAvailability"
      aggregation = "Average"
      operator    = "LessThan"
      threshold   = 100
      severity    = 2
    }
    endpoint-unavailable = {
      description = "The load balancer's data path to the service is degraded."
      scope       = azurerm_lb.service.id
      namespace   = "Microsoft.Network/loadBalancers"
      metric      = "VipAvailability"
      aggregation = "Average"
      operator    = "LessThan"
      threshold   = 90
      severity    = 1
    }
    cpu-high = {
      description = "The VMs' average CPU is above 85% although the scale set scales out at 60%."
      scope       = azurerm_linux_virtual_machine_scale_set.service.id
      namespace   = "Microsoft.Compute/virtualMachineScaleSets"
      metric      = "Percentage CPU"
      aggregation = "Average"
      operator    = "GreaterThan"
      threshold   = 85
      severity    = 2
    }
    ready-failing = {
      description = "The availability test of /ready fails from the test locations."
      scope       = azurerm_application_insights.availability.id
      namespace   = "microsoft.insights/components"
      metric      = "availabilityResults/availabilityPercentage"
      aggregation = "Average"
      operator    = "LessThan"
      threshold   = 90
      severity    = 1
    }
  }
}

resource "azurerm_monitor_metric_alert" "service" {
  for_each = local.metric_alerts

  name                = "${local.prefix}-${each.key}"
  resource_group_name = azurerm_resource_group.main.name
  scopes              = [each.value.scope]
  description         = each.value.description
  severity            = each.value.severity
  frequency           = "PT1M"
  window_size         = "PT5M"
  tags                = local.tags

  criteria {
    metric_namespace = each.value.namespace
    metric_name      = each.value.metric
    aggregation      = each.value.aggregation
    operator         = each.value.operator
    threshold        = each.value.threshold
  }

  action {
    action_group_id = azurerm_monitor_action_group.alerts.id
  }
}

# Every VM publishes, each minute, custom metrics of the scale set from the service's request
# histogram (cloud-init's predict-metrics): PredictRequests, PredictServerErrors, and for successful
# answers PredictLatencyMs (Sum/Count: the average) and PredictLatencyP95Ms.
resource "azurerm_role_assignment" "vm_scale_set_metrics_publisher" {
  scope                = azurerm_linux_virtual_machine_scale_set.service.id
  role_definition_name = "Monitoring Metrics Publisher"
  principal_id         = azurerm_user_assigned_identity.vm.principal_id
  principal_type       = "ServicePrincipal"
}

# The latency users get from POST /predict: each VM's 95th percentile of the minute, averaged over
# the VMs and 5 minutes. Minutes without successful answers have no latency data point, so an idle
# service never fires it.
resource "azurerm_monitor_metric_alert" "predict_slow" {
  name                = "${local.prefix}-predict-slow"
  resource_group_name = azurerm_resource_group.main.name
  scopes              = [azurerm_linux_virtual_machine_scale_set.service.id]
  description         = "The 95th percentile response time of successful POST /predict answers is above latency_threshold_ms."
  severity            = 2
  frequency           = "PT1M"
  window_size         = "PT5M"
  tags                = local.tags

  criteria {
    metric_namespace = local.metric_namespace
    metric_name      = "PredictLatencyP95Ms"
    aggregation      = "Average"
    operator         = "GreaterThan"
    threshold        = var.latency_threshold_ms
    # The metric only exists once a VM has published it.
    skip_metric_validation = true
  }

  action {
    action_group_id = azurerm_monitor_action_group.alerts.id
  }
}

# Uvicorn's access log lines end in the status code: alert on server errors (5xx) of the service.
resource "azurerm_monitor_scheduled_query_rules_alert_v2" "server_errors" {
  name                 = "${local.prefix}-server-errors"
  resource_group_name  = azurerm_resource_group.main.name
  location             = azurerm_resource_group.main.location
  description          = "The service answered requests with 5xx status codes."
  scopes               = [azurerm_log_analytics_workspace.main.id]
  severity             = 2
  evaluation_frequency = "PT5M"
  window_duration      = "PT5M"
  tags                 = local.tags
  # The Syslog table has no rows until the first VM reports.
  skip_query_validation = true

  criteria {
    query                   = <<-KQL
      Syslog
      | where ProcessName == "${local.unit}"
      | where SyslogMessage matches regex @'HTTP/[0-9.]+" 5[0-9][0-9] '
    KQL
    time_aggregation_method = "Count"
    operator                = "GreaterThan"
    threshold               = 5

    failing_periods {
      minimum_failing_periods_to_trigger_alert = 1
      number_of_evaluation_periods             = 1
    }
  }

  action {
    action_groups = [azurerm_monitor_action_group.alerts.id]
  }
}
