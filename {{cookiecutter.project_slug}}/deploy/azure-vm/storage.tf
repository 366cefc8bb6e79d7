# Captured predictions (JSON lines, one folder per VM), the drift job's input. Only the VM subnet
# and the addresses in capture_reader_cidrs reach the account, and only Entra ID principals with a
# data role the blobs: no account keys, no SAS, no anonymous access.
# Terraform manages all of it through Azure Resource Manager (versions.tf turns the provider's
# storage data-plane calls off), so plans and applies work from runners outside the subnet.

resource "azurerm_storage_account" "captures" {
  # checkov:skip=CKV_AZURE_59: the network rules deny every network but the VM subnet; a private endpoint would also lock out the drift job's runner
  # checkov:skip=CKV2_AZURE_33: same as CKV_AZURE_59, access goes through the subnet's service endpoint
  # checkov:skip=CKV2_AZURE_1: Microsoft-managed keys plus infrastructure encryption (double encryption); a customer-managed key adds a Key Vault lifecycle this data does not need
  # checkov:skip=CKV_AZURE_33: the account has no queues; blob access is logged through the diagnostic setting below
  # checkov:skip=CKV_AZURE_206: zone-redundant (ZRS) copies; captures are drift-analysis input, not worth a second region's storage
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
  shared_access_key_enabled         = false
  local_user_enabled                = false
  default_to_oauth_authentication   = true
  public_network_access_enabled     = true
  tags                              = local.tags

  network_rules {
    default_action             = "Deny"
    bypass                     = ["AzureServices", "Logging", "Metrics"]
    virtual_network_subnet_ids = [azurerm_subnet.vm.id]
    ip_rules                   = [for cidr in var.capture_reader_cidrs : trimsuffix(cidr, "/32")] # Azure takes a /32 as a plain address
  }

  blob_properties {
    delete_retention_policy {
      days = 7
    }

    container_delete_retention_policy {
      days = 7
    }
  }

  sas_policy {
    expiration_period = "0.01:00:00"
  }
}

resource "azurerm_storage_container" "captures" {
  # checkov:skip=CKV2_AZURE_21: blob reads, writes and deletes are logged by the diagnostic setting below; Storage Insights needs an account key, and keys are disabled
  name                  = "captures"
  storage_account_id    = azurerm_storage_account.captures.id
  container_access_type = "private"
}

resource "azurerm_role_assignment" "vm_capture_writer" {
  scope                = azurerm_storage_container.captures.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.vm.principal_id
  principal_type       = "ServicePrincipal"
}

# The drift job's report (drift.json), which the retrain workflow uploads after every drift check and
# every VM downloads for the service's drift metrics. A container of its own in the same account:
# every blob of the captures container is a capture, expires with them and is writable by the VMs;
# this one only ever holds the report, which the VMs may read and never change. The retrain
# workflow's identity needs Storage Blob Data Contributor on this container (output
# drift_report_uri) and, like for the captures, its runner's address in capture_reader_cidrs.
resource "azurerm_storage_container" "drift" {
  # checkov:skip=CKV2_AZURE_21: blob reads, writes and deletes are logged by the diagnostic setting below; Storage Insights needs an account key, and keys are disabled
  name                  = "drift"
  storage_account_id    = azurerm_storage_account.captures.id
  container_access_type = "private"
}

resource "azurerm_role_assignment" "vm_drift_reader" {
  scope                = azurerm_storage_container.drift.id
  role_definition_name = "Storage Blob Data Reader"
  principal_id         = azurerm_user_assigned_identity.vm.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_storage_management_policy" "captures" {
  storage_account_id = azurerm_storage_account.captures.id

  rule {
    name    = "expire-captures"
    enabled = true

    filters {
      blob_types   = ["blockBlob"]
      prefix_match = ["${azurerm_storage_container.captures.name}/"]
    }

    actions {
      base_blob {
        delete_after_days_since_modification_greater_than = var.capture_retention_days
      }
    }
  }
}

resource "azurerm_monitor_diagnostic_setting" "captures_blob" {
  name                       = "blob-access"
  target_resource_id         = "${azurerm_storage_account.captures.id}/blobServices/default"
  log_analytics_workspace_id = azurerm_log_analytics_workspace.main.id

  enabled_log {
    category_group = "allLogs"
  }
}
