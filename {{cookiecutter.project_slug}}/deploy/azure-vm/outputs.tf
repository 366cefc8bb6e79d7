output "endpoint_url" {
  description = "Base URL of the service (append /predict, /ready, /docs)."
  value       = local.endpoint_url
}

output "capture_uri" {
  description = "Blob container folder the VMs upload captured predictions to (JSON lines, one folder per VM): the drift job's input."
  value       = local.capture_uri
}

output "drift_report_uri" {
  description = "Blob where the retrain workflow uploads the drift job's report (CI variable DRIFT_REPORT_URI) and every VM downloads it from for the service's drift metrics. The CI identity needs Storage Blob Data Contributor on its container and its runner's address in capture_reader_cidrs."
  value       = local.drift_report_uri
}

output "registry_login_server" {
  description = "Container registry to push the service image to (docker push <registry_login_server>/<name>:<tag>)."
  value       = azurerm_container_registry.main.login_server
}

output "resource_group_name" {
  description = "Resource group holding every resource of this environment."
  value       = azurerm_resource_group.main.name
}

output "scale_set_name" {
  description = "VM scale set of the service (az vmss run-command invoke, az vmss list-instances)."
  value       = azurerm_linux_virtual_machine_scale_set.service.name
}

output "log_analytics_workspace_id" {
  description = "Log Analytics workspace with the container logs (Syslog table) and VM counters (Perf table)."
  value       = azurerm_log_analytics_workspace.main.workspace_id
}
