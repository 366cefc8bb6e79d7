# {{ cookiecutter.project_name }} on Azure VMs: a scale set of Ubuntu VMs that run the service image
# with Docker, behind a Standard Load Balancer on port 8000.

locals {
  prefix = "${var.name}-${var.environment}"
  port   = 8000
  # Registry and storage account names are global: at most 24 lowercase letters or digits here.
  suffix       = substr(sha1("${var.subscription_id}/${local.prefix}"), 0, 5)
  compact_name = "${substr(replace(var.name, "-", ""), 0, 13)}${substr(var.environment, 0, 4)}${local.suffix}"
  endpoint_url = "http://${azurerm_public_ip.service.ip_address}:${local.port}"
  capture_uri  = "https://${azurerm_storage_account.captures.name}.blob.core.windows.net/${azurerm_storage_container.captures.name}/"
  # The drift job's report, uploaded by the retrain workflow (storage.tf).
  drift_report_uri = "https://${azurerm_storage_account.captures.name}.blob.core.windows.net/${azurerm_storage_container.drift.name}/drift.json"

  tags = {
    service     = var.name
    environment = var.environment
    managed-by  = "terraform"
  }
}

resource "azurerm_resource_group" "main" {
  name     = "rg-${local.prefix}"
  location = var.location
  tags     = local.tags
}

resource "azurerm_log_analytics_workspace" "main" {
  name                = "log-${local.prefix}"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_days
  tags                = local.tags
}

# The VMs' identity: pulls images, uploads captured predictions, reads the drift report and sends
# logs and metrics; nothing else.
resource "azurerm_user_assigned_identity" "vm" {
  name                = "id-${local.prefix}-vm"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  tags                = local.tags
}

resource "azurerm_container_registry" "main" {
  # checkov:skip=CKV_AZURE_139: deploy.sh pushes from CI runners whose addresses are not fixed; pulls and pushes need Entra ID tokens (admin user and anonymous pull are off)
  # checkov:skip=CKV_AZURE_163: image vulnerabilities are scanned in CI before the push; Defender for Containers is a subscription-wide choice
  # checkov:skip=CKV_AZURE_164: images are signed and scanned in CI; ACR content trust (Docker Content Trust) is deprecated
  # checkov:skip=CKV_AZURE_165: one region serves the service; geo-replication would double the registry cost
  # checkov:skip=CKV_AZURE_166: quarantine needs an external scanner to release images, otherwise every pull fails
  # checkov:skip=CKV_AZURE_233: zone redundancy follows var.zones (on by default); checkov cannot evaluate the expression

  name                          = "cr${local.compact_name}"
  resource_group_name           = azurerm_resource_group.main.name
  location                      = azurerm_resource_group.main.location
  sku                           = "Premium"
  admin_enabled                 = false
  anonymous_pull_enabled        = false
  data_endpoint_enabled         = true
  zone_redundancy_enabled       = length(var.zones) > 1
  retention_policy_in_days      = 7
  export_policy_enabled         = true
  public_network_access_enabled = true
  tags                          = local.tags
}

resource "azurerm_role_assignment" "vm_acr_pull" {
  scope                = azurerm_container_registry.main.id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_user_assigned_identity.vm.principal_id
  principal_type       = "ServicePrincipal"
}

# The Azure Monitor agent publishes through the data collection rule with this identity.
resource "azurerm_role_assignment" "vm_metrics_publisher" {
  scope                = azurerm_monitor_data_collection_rule.vm.id
  role_definition_name = "Monitoring Metrics Publisher"
  principal_id         = azurerm_user_assigned_identity.vm.principal_id
  principal_type       = "ServicePrincipal"
}
