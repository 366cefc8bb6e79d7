# Alerts on the endpoint's platform metrics (latency, server errors, CPU) that email alert_email,
# and, once drift_reference_data is registered, a daily Azure ML model monitor for data drift.

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
  endpoint_metrics   = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
  deployment_metrics = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"

  metric_alerts = {
    latency-high = {
      description = "The endpoint's average request latency is above latency_threshold_ms."
      scope       = azapi_resource.endpoint.id
      namespace   = local.endpoint_metrics
      metric      = "RequestLatency"
      aggregation = "Average"
      threshold   = var.latency_threshold_ms
      dimension   = null
      severity    = 2
    }
    server-errors = {
      description = "The endpoint answers requests with 5xx status codes."
      scope       = azapi_resource.endpoint.id
      namespace   = local.endpoint_metrics
      metric      = "RequestsPerMinute"
      aggregation = "Total"
      threshold   = 5
      dimension   = { name = "StatusCodeClass", values = ["5xx"] }
      severity    = 1
    }
    throttled = {
      description = "The endpoint rejects requests with 429: more than max_concurrent_requests per instance."
      scope       = azapi_resource.endpoint.id
      namespace   = local.endpoint_metrics
      metric      = "RequestsPerMinute"
      aggregation = "Total"
      threshold   = 5
      dimension   = { name = "StatusCode", values = ["429"] }
      severity    = 2
    }
    cpu-high = {
      description = "The deployment's average CPU is above 85% although it scales out at 70%."
      scope       = azapi_resource.deployment.id
      namespace   = local.deployment_metrics
      metric      = "CpuUtilizationPercentage"
      aggregation = "Average"
      threshold   = 85
      dimension   = null
      severity    = 2
    }
  }
}

resource "azurerm_monitor_metric_alert" "endpoint" {
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
    operator         = "GreaterThan"
    threshold        = each.value.threshold

    dynamic "dimension" {
      for_each = each.value.dimension[*]

      content {
        name     = dimension.value.name
        operator = "Include"
        values   = dimension.value.values
      }
    }
  }

  action {
    action_group_id = azurerm_monitor_action_group.alerts.id
  }
}

# Compares a week of collected model_inputs with the training features every night (serverless
# Spark) and emails alert_email when a feature's population stability index exceeds 0.2, the
# threshold of the service's own drift job (DRIFT_PSI_ALERT).
resource "azapi_resource" "drift_monitor" {
  count = var.drift_reference_data == null ? 0 : 1

  type      = "Microsoft.MachineLearningServices/workspaces/schedules@${local.api_version}"
  name      = "${local.deployment_name}-data-drift"
  parent_id = azurerm_machine_learning_workspace.main.id
  # The embedded schema types metric thresholds as integers; the service accepts decimals.
  schema_validation_enabled = false

  body = {
    properties = {
      displayName = "Data drift of ${local.endpoint_name}/${local.deployment_name}"
      isEnabled   = true
      trigger = {
        triggerType = "Recurrence"
        frequency   = "Day"
        interval    = 1
        timeZone    = "UTC"
        schedule    = { hours = [3], minutes = [0] }
      }
      action = {
        actionType = "CreateMonitor"
        monitorDefinition = {
          computeConfiguration = {
            computeType     = "ServerlessSpark"
            instanceType    = "standard_e4s_v3"
            runtimeVersion  = "3.4"
            computeIdentity = { computeIdentityType = "AmlToken" }
          }
          monitoringTarget = {
            deploymentId = azapi_resource.deployment.id
            taskType     = "Regression"
          }
          alertNotificationSettings = {
            emailNotificationSettings = { emails = [var.alert_email] }
          }
          signals = {
            data-drift = {
              signalType        = "DataDrift"
              notificationTypes = ["AmlNotification"]
              features          = { filterType = "AllFeatures" }
              productionData = {
                inputDataType = "Rolling"
                jobInputType  = "uri_folder"
                uri           = "azureml:${local.endpoint_name}-${local.deployment_name}-model_inputs:1"
                dataContext   = "model_inputs"
                windowSize    = "P7D"
                windowOffset  = "P0D"
              }
              referenceData = {
                inputDataType = "Fixed"
                jobInputType  = "mltable"
                uri           = var.drift_reference_data
                dataContext   = "training"
              }
              metricThresholds = [
                { dataType = "Numerical", metric = "PopulationStabilityIndex", threshold = { value = 0.2 } },
                { dataType = "Categorical", metric = "PopulationStabilityIndex", threshold = { value = 0.2 } },
              ]
            }
          }
        }
      }
    }
  }
}
