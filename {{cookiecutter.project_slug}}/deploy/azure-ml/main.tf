# {{ cookiecutter.project_name }} on Azure Machine Learning: a workspace with its registry, storage,
# Key Vault and Application Insights, serving the image on a managed online endpoint (endpoint.tf).

locals {
  prefix = "${var.name}-${var.environment}"
  port   = 8000
  # Globally unique names: at most 24 lowercase letters or digits here.
  suffix       = substr(sha1("${var.subscription_id}/${local.prefix}"), 0, 5)
  compact_name = "${substr(replace(var.name, "-", ""), 0, 13)}${substr(var.environment, 0, 4)}${local.suffix}"

  tags = {
    service     = var.name
    environment = var.environment
    managed-by  = "terraform"
  }
}

data "azurerm_client_config" "current" {}

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

resource "azurerm_application_insights" "main" {
  name                = "appi-${local.prefix}"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  workspace_id        = azurerm_log_analytics_workspace.main.id
  application_type    = "web"
  tags                = local.tags
}

resource "azurerm_key_vault" "main" {
  # checkov:skip=CKV_AZURE_189: the workspace reaches the vault as a trusted service, which needs the public endpoint with the firewall below (default deny)
  # checkov:skip=CKV2_AZURE_32: no private networking in this module; the firewall admits trusted Azure services only
  name                       = "kv${local.compact_name}"
  resource_group_name        = azurerm_resource_group.main.name
  location                   = azurerm_resource_group.main.location
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "standard"
  enable_rbac_authorization  = true
  purge_protection_enabled   = true
  soft_delete_retention_days = 90
  tags                       = local.tags

  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
  }
}

# The workspace's default datastore: data collection writes the endpoint's inputs and outputs here.
resource "azurerm_storage_account" "main" {
  # checkov:skip=CKV_AZURE_59: studio, the online endpoint's data collector and the monitoring jobs reach the account over its public endpoint; no private networking in this module
  # checkov:skip=CKV_AZURE_35: same as CKV_AZURE_59
  # checkov:skip=CKV2_AZURE_33: same as CKV_AZURE_59
  # checkov:skip=CKV2_AZURE_40: Azure ML model monitoring reads datastores with credentials (account key or SAS), not Entra ID
  # checkov:skip=CKV2_AZURE_1: Microsoft-managed keys plus infrastructure encryption (double encryption); a customer-managed key would have to be set on the workspace too
  # checkov:skip=CKV_AZURE_33: the workspace uses no queues
  # checkov:skip=CKV_AZURE_206: zone-redundant (ZRS) copies; collected data is analysis input, not worth a second region's storage
  name                              = "st${local.compact_name}"
  resource_group_name               = azurerm_resource_group.main.name
  location                          = azurerm_resource_group.main.location
  account_kind                      = "StorageV2"
  account_tier                      = "Standard"
  account_replication_type          = "ZRS"
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  infrastructure_encryption_enabled = true
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = true
  local_user_enabled                = false
  tags                              = local.tags

  blob_properties {
    delete_retention_policy {
      days = 7
    }

    container_delete_retention_policy {
      days = 7
    }
  }

  sas_policy {
    expiration_period = "1.00:00:00"
  }
}

resource "azurerm_container_registry" "main" {
  # checkov:skip=CKV_AZURE_139: deploy.sh pushes from CI runners whose addresses are not fixed; pulls and pushes need Entra ID tokens (admin user and anonymous pull are off)
  # checkov:skip=CKV_AZURE_163: image vulnerabilities are scanned in CI before the push; Defender for Containers is a subscription-wide choice
  # checkov:skip=CKV_AZURE_164: images are signed and scanned in CI; ACR content trust (Docker Content Trust) is deprecated
  # checkov:skip=CKV_AZURE_165: one region serves the endpoint; geo-replication would double the registry cost
  # checkov:skip=CKV_AZURE_166: quarantine needs an external scanner to release images, otherwise every pull fails
  name                          = "cr${local.compact_name}"
  resource_group_name           = azurerm_resource_group.main.name
  location                      = azurerm_resource_group.main.location
  sku                           = "Premium"
  admin_enabled                 = false
  anonymous_pull_enabled        = false
  data_endpoint_enabled         = true
  zone_redundancy_enabled       = true
  retention_policy_in_days      = 7
  export_policy_enabled         = true
  public_network_access_enabled = true
  tags                          = local.tags
}

resource "azurerm_machine_learning_workspace" "main" {
  # checkov:skip=CKV_AZURE_144: the endpoint is public (key auth) and studio is used from the internet; private networking is out of this module's scope
  # checkov:skip=CKV2_AZURE_49: same as CKV_AZURE_144
  name                          = "mlw-${local.prefix}"
  resource_group_name           = azurerm_resource_group.main.name
  location                      = azurerm_resource_group.main.location
  application_insights_id       = azurerm_application_insights.main.id
  key_vault_id                  = azurerm_key_vault.main.id
  storage_account_id            = azurerm_storage_account.main.id
  container_registry_id         = azurerm_container_registry.main.id
  public_network_access_enabled = true
  v1_legacy_mode_enabled        = false
  high_business_impact          = false # demand forecasts and store features, no personal data
  tags                          = local.tags

  identity {
    type = "SystemAssigned"
  }
}
