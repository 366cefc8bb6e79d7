# The VMs: Ubuntu 24.04 with Docker (cloud-init), the service unit started by the deploy
# extension with the image to run. A change of image rolls through the scale set in batches; the
# health extension (GET /health) gates each batch and lets automatic repairs replace broken VMs.

locals {
  unit = var.name

  # Run by the Custom Script extension on every VM, again whenever the image changes.
  # cloud-init must have finished; its exit status 2 only reports recoverable warnings.
  deploy_command = join(" && ", [
    "{ cloud-init status --wait >/dev/null || [ $? -eq 2 ]; }",
    "printf 'IMAGE=%s\\n' '${var.image}' >/etc/${local.unit}/image.env",
    "systemctl restart ${local.unit}.service",
  ])

  scale_set_name = "vmss-${local.prefix}"
  # The VMs publish custom metrics of their scale set (cloud-init's predict-metrics), whose id its
  # own custom_data cannot refer to: it is built from its parts, and checked once it exists.
  scale_set_id     = "/subscriptions/${var.subscription_id}/resourceGroups/${azurerm_resource_group.main.name}/providers/Microsoft.Compute/virtualMachineScaleSets/${local.scale_set_name}"
  metric_namespace = "PredictionService"
}

resource "azurerm_linux_virtual_machine_scale_set" "service" {
  name                            = local.scale_set_name
  resource_group_name             = azurerm_resource_group.main.name
  location                        = azurerm_resource_group.main.location
  sku                             = var.vm_size
  instances                       = var.min_instances
  zones                           = var.zones
  zone_balance                    = length(var.zones) > 1
  admin_username                  = "azureuser"
  disable_password_authentication = true
  encryption_at_host_enabled      = true
  secure_boot_enabled             = true
  vtpm_enabled                    = true
  provision_vm_agent              = true
  overprovision                   = false
  upgrade_mode                    = "Rolling"
  custom_data = base64encode(templatefile("${path.module}/cloud-init.yaml.tftpl", {
    unit                = local.unit
    port                = local.port
    workers             = var.workers
    registry            = azurerm_container_registry.main.login_server
    identity_clientid   = azurerm_user_assigned_identity.vm.client_id
    capture_url         = local.capture_uri
    drift_report_url    = local.drift_report_uri
    metrics_region      = azurerm_resource_group.main.location
    metrics_resource_id = local.scale_set_id
    metrics_namespace   = local.metric_namespace
  }))
  tags = local.tags

  admin_ssh_key {
    username   = "azureuser"
    public_key = var.admin_ssh_public_key
  }

  source_image_reference {
    publisher = "Canonical"
    offer     = "ubuntu-24_04-lts"
    sku       = "server"
    version   = "latest"
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
    disk_size_gb         = 32
  }

  network_interface {
    name    = "nic"
    primary = true

    ip_configuration {
      name                                   = "internal"
      primary                                = true
      subnet_id                              = azurerm_subnet.vm.id
      load_balancer_backend_address_pool_ids = [azurerm_lb_backend_address_pool.service.id]
    }
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.vm.id]
  }

  boot_diagnostics {}

  automatic_instance_repair {
    enabled      = true
    grace_period = "PT10M"
  }

  rolling_upgrade_policy {
    max_batch_instance_percent              = 50
    max_unhealthy_instance_percent          = 50
    max_unhealthy_upgraded_instance_percent = 50
    pause_time_between_batches              = "PT30S"
  }

  extension {
    name                       = "health"
    publisher                  = "Microsoft.ManagedServices"
    type                       = "ApplicationHealthLinux"
    type_handler_version       = "2.0"
    auto_upgrade_minor_version = true
    settings = jsonencode({
      protocol          = "http"
      port              = local.port
      requestPath       = "/health"
      intervalInSeconds = 10
      numberOfProbes    = 3
      gracePeriod       = 600
    })
  }

  extension {
    name                       = "azure-monitor-agent"
    publisher                  = "Microsoft.Azure.Monitor"
    type                       = "AzureMonitorLinuxAgent"
    type_handler_version       = "1.33"
    auto_upgrade_minor_version = true
    automatic_upgrade_enabled  = true
    settings = jsonencode({
      authentication = {
        managedIdentity = {
          identifier-name  = "mi_res_id"
          identifier-value = azurerm_user_assigned_identity.vm.id
        }
      }
    })
  }

  extension {
    name                       = "deploy"
    publisher                  = "Microsoft.Azure.Extensions"
    type                       = "CustomScript"
    type_handler_version       = "2.1"
    auto_upgrade_minor_version = true
    force_update_tag           = sha1(var.image)
    protected_settings         = jsonencode({ commandToExecute = local.deploy_command })
  }

  # Instance count belongs to the autoscale setting once the scale set exists.
  lifecycle {
    ignore_changes = [instances]

    precondition {
      condition     = startswith(var.image, "${azurerm_container_registry.main.login_server}/")
      error_message = "image must be in this module's registry (output registry_login_server); deploy.sh copies it there."
    }

    postcondition {
      condition     = lower(self.id) == lower(local.scale_set_id)
      error_message = "The scale set's id differs from local.scale_set_id, which its VMs publish their metrics to."
    }
  }

  depends_on = [
    azurerm_role_assignment.vm_acr_pull,
    azurerm_role_assignment.vm_capture_writer,
    azurerm_role_assignment.vm_drift_reader,
    azurerm_lb_rule.service,
    azurerm_subnet_network_security_group_association.vm,
  ]
}

resource "azurerm_monitor_autoscale_setting" "service" {
  name                = "autoscale-${local.prefix}"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  target_resource_id  = azurerm_linux_virtual_machine_scale_set.service.id
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
        metric_name        = "Percentage CPU"
        metric_resource_id = azurerm_linux_virtual_machine_scale_set.service.id
        time_grain         = "PT1M"
        statistic          = "Average"
        time_window        = "PT5M"
        time_aggregation   = "Average"
        operator           = "GreaterThan"
        threshold          = 60
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
        metric_name        = "Percentage CPU"
        metric_resource_id = azurerm_linux_virtual_machine_scale_set.service.id
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
