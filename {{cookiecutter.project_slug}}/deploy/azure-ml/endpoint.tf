# The service image as a custom container on a managed online endpoint: Azure ML routes
# POST /score to the container's /predict and probes /health (liveness) and /ready (readiness).
# The data collector writes the endpoint's inputs and outputs to the workspace's blob datastore.

locals {
  api_version = "2024-10-01"
  # Endpoint names are unique per region (<endpoint>.<region>.inference.ml.azure.com), 3-32 characters.
  endpoint_name   = "${trim(substr(var.name, 0, 14), "-")}-${substr(var.environment, 0, 4)}-${local.suffix}"
  deployment_name = "primary"
  capture_uri = join("/", [
    "azureml://subscriptions/${var.subscription_id}/resourcegroups/${azurerm_resource_group.main.name}",
    "workspaces/${azurerm_machine_learning_workspace.main.name}/datastores/workspaceblobstore/paths",
    "modelDataCollector/${local.endpoint_name}/${local.deployment_name}/",
  ])
}

# Azure ML environments and their versions cannot be deleted, only archived, and a version cannot
# change once registered. As azapi_resource, every new image would make Terraform delete the
# previous version, and `terraform destroy` would fail on them. So the module registers them with
# plain PUT requests (azapi_resource_action, which does nothing on destroy): one version per image
# and settings, named after their digest, so a repeated deploy sends the same body again. Old
# versions stay listed (archive them with `az ml environment archive`); deleting the workspace
# removes them all.
resource "azapi_resource_action" "environment" {
  type        = "Microsoft.MachineLearningServices/workspaces/environments@${local.api_version}"
  resource_id = "${azurerm_machine_learning_workspace.main.id}/environments/${var.name}"
  method      = "PUT"
  body = {
    properties = {
      description = "Serving image of ${var.name}."
    }
  }
}

locals {
  environment_version = {
    image  = var.image
    osType = "Linux"
    inferenceConfig = {
      livenessRoute  = { path = "/health", port = local.port }
      readinessRoute = { path = "/ready", port = local.port }
      scoringRoute   = { path = "/predict", port = local.port }
    }
  }
}

resource "azapi_resource_action" "environment_version" {
  type        = "Microsoft.MachineLearningServices/workspaces/environments/versions@${local.api_version}"
  resource_id = "${azapi_resource_action.environment.resource_id}/versions/${substr(sha1(jsonencode(local.environment_version)), 0, 12)}"
  method      = "PUT"
  body        = { properties = local.environment_version }

  lifecycle {
    precondition {
      condition     = startswith(var.image, "${azurerm_container_registry.main.login_server}/")
      error_message = "image must be in the workspace's registry (output registry_login_server); deploy.sh copies it there."
    }
  }
}

# Earlier versions of this module managed both as azapi_resource: forget them without deleting.
removed {
  from = azapi_resource.environment_version

  lifecycle {
    destroy = false
  }
}

removed {
  from = azapi_resource.environment

  lifecycle {
    destroy = false
  }
}

resource "azapi_resource" "endpoint" {
  type      = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints@${local.api_version}"
  name      = local.endpoint_name
  parent_id = azurerm_machine_learning_workspace.main.id
  location  = azurerm_resource_group.main.location
  tags      = local.tags

  # Pulls the image from the workspace registry (AcrPull is granted to it automatically).
  identity {
    type = "SystemAssigned"
  }

  body = {
    properties = {
      authMode            = "Key"
      publicNetworkAccess = "Enabled"
      description         = "${var.name} prediction API (${var.environment})."
    }
  }

  # Traffic is routed by azapi_update_resource.traffic once the deployment exists.
  response_export_values = ["properties.scoringUri"]
}

resource "azapi_resource" "deployment" {
  type      = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments@${local.api_version}"
  name      = local.deployment_name
  parent_id = azapi_resource.endpoint.id
  location  = azurerm_resource_group.main.location
  tags      = local.tags

  body = {
    sku = {
      name     = "Default"
      capacity = var.min_instances
    }
    properties = {
      endpointComputeType       = "Managed"
      instanceType              = var.instance_type
      environmentId             = azapi_resource_action.environment_version.resource_id
      appInsightsEnabled        = true
      egressPublicNetworkAccess = "Enabled"
      environmentVariables = {
        WORKERS   = tostring(var.workers)
        LOG_LEVEL = "info"
      }
      requestSettings = {
        maxConcurrentRequestsPerInstance = var.max_concurrent_requests
        requestTimeout                   = "PT10S"
      }
      scaleSettings = {
        scaleType = "Default"
      }
      livenessProbe = {
        initialDelay     = "PT10S"
        period           = "PT10S"
        timeout          = "PT2S"
        failureThreshold = 30
        successThreshold = 1
      }
      readinessProbe = {
        initialDelay     = "PT10S"
        period           = "PT10S"
        timeout          = "PT2S"
        failureThreshold = 30
        successThreshold = 1
      }
      # model_inputs/model_outputs hold the instances and predictions the service collects with
      # azureml-ai-monitoring (its azure_ml module; the model monitor's input), request/response
      # the raw HTTP payloads. The container needs no setting for it: with a data collector, Azure
      # ML mounts the collector's configuration into the container and points
      # AZUREML_MDC_CONFIG_PATH at it, which turns the service's collection on.
      dataCollector = {
        rollingRate = "Hour"
        collections = {
          model_inputs  = { dataCollectionMode = "Enabled", samplingRate = 1 }
          model_outputs = { dataCollectionMode = "Enabled", samplingRate = 1 }
          request       = { dataCollectionMode = "Enabled", samplingRate = 1 }
          response      = { dataCollectionMode = "Enabled", samplingRate = 1 }
        }
      }
    }
  }

  timeouts {
    create = "60m"
    update = "60m"
  }

  # The instance count belongs to the autoscale setting once the deployment exists.
  lifecycle {
    ignore_changes = [body.sku.capacity]
  }
}

resource "azapi_update_resource" "traffic" {
  type        = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints@${local.api_version}"
  resource_id = azapi_resource.endpoint.id
  body = {
    properties = {
      traffic = { (local.deployment_name) = 100 }
    }
  }

  depends_on = [azapi_resource.deployment]
}

resource "azurerm_monitor_autoscale_setting" "deployment" {
  name                = "autoscale-${local.prefix}"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  target_resource_id  = azapi_resource.deployment.id
  tags                = local.tags

  profile {
    name = "cpu"

    capacity {
      default = var.min_instances
      minimum = var.min_instances
      maximum = var.max_instances
    }

    rule {
      metric_trigger {
        metric_name        = "CpuUtilizationPercentage"
        metric_resource_id = azapi_resource.deployment.id
        time_grain         = "PT1M"
        statistic          = "Average"
        time_window        = "PT5M"
        time_aggregation   = "Average"
        operator           = "GreaterThan"
        threshold          = 70
      }

      scale_action {
        direction = "Increase"
        type      = "ChangeCount"
        value     = "1"
        cooldown  = "PT5M"
      }
    }

    rule {
      metric_trigger {
        metric_name        = "CpuUtilizationPercentage"
        metric_resource_id = azapi_resource.deployment.id
        time_grain         = "PT1M"
        statistic          = "Average"
        time_window        = "PT15M"
        time_aggregation   = "Average"
        operator           = "LessThan"
        threshold          = 25
      }

      scale_action {
        direction = "Decrease"
        type      = "ChangeCount"
        value     = "1"
        cooldown  = "PT10M"
      }
    }
  }
}
