output "endpoint_url" {
  description = "Scoring URL of the online endpoint: POST a /predict request body with header `Authorization: Bearer <key>` (az ml online-endpoint get-credentials)."
  value       = azapi_resource.endpoint.output.properties.scoringUri
}

output "capture_uri" {
  description = "Datastore folder of the data collector: model_inputs/, model_outputs/, request/ and response/ below it, partitioned by yyyy/MM/dd/HH."
  value       = local.capture_uri
}

output "registry_login_server" {
  description = "The workspace's container registry to push the service image to (docker push <registry_login_server>/<name>:<tag>)."
  value       = azurerm_container_registry.main.login_server
}

output "resource_group_name" {
  description = "Resource group holding every resource of this environment."
  value       = azurerm_resource_group.main.name
}

output "workspace_name" {
  description = "Azure ML workspace (az ml ... --workspace-name)."
  value       = azurerm_machine_learning_workspace.main.name
}

output "endpoint_name" {
  description = "Managed online endpoint (az ml online-endpoint ... --name)."
  value       = azapi_resource.endpoint.name
}

output "endpoint_id" {
  description = "ARM resource ID of the endpoint (deploy.sh lists its keys with it)."
  value       = azapi_resource.endpoint.id
}
