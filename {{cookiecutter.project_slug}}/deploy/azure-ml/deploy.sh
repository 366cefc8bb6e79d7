#!/usr/bin/env bash
# Deploys an image of the service to one environment on an Azure ML managed online endpoint, then
# waits until the endpoint answers a prediction.
#
#   deploy/azure-ml/deploy.sh <staging|production> <image>
#
# <image> is the scanned image the CI build pushed (ghcr.io/<owner>/<repo>:<sha>, $CI_REGISTRY_IMAGE:<sha>);
# it is copied into the workspace's Azure Container Registry, which the endpoint pulls from.
#
# Needs terraform, az (logged in: `az login`, or OIDC in CI), docker and curl. Environment:
#   AZURE_SUBSCRIPTION_ID          required: subscription to deploy to
#   AZURE_LOCATION                 region to deploy to (default westeurope)
#   TF_VAR_alert_email             required: email address the alerts and the model monitor notify
#   TF_VAR_drift_reference_data    Azure ML data asset of the training features; enables the drift monitor
#   TF_STATE_STORAGE_ACCOUNT       storage account holding the Terraform state; local state when unset
#   TF_STATE_RESOURCE_GROUP        its resource group (default tfstate)
#   TF_STATE_CONTAINER             its blob container (default tfstate)
set -euo pipefail

usage() {
  echo "usage: $0 <staging|production> <image>" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
environment=$1
source_image=$2
[[ $environment == staging || $environment == production ]] || usage
: "${AZURE_SUBSCRIPTION_ID:?set AZURE_SUBSCRIPTION_ID to the subscription to deploy to}"

cd "$(dirname "$0")"
export TF_VAR_subscription_id=$AZURE_SUBSCRIPTION_ID
export TF_VAR_location=${AZURE_LOCATION:-westeurope}
az account set --subscription "$AZURE_SUBSCRIPTION_ID"

trap 'rm -f tfplan backend_override.tf' EXIT

init_args=(-input=false -reconfigure)
if [[ -n ${TF_STATE_STORAGE_ACCOUNT:-} ]]; then
  # Enables the azurerm backend (commented out in versions.tf for local use) for this run only.
  printf 'terraform {\n  backend "azurerm" {}\n}\n' >backend_override.tf
  init_args+=(
    -backend-config="subscription_id=$AZURE_SUBSCRIPTION_ID"
    -backend-config="resource_group_name=${TF_STATE_RESOURCE_GROUP:-tfstate}"
    -backend-config="storage_account_name=$TF_STATE_STORAGE_ACCOUNT"
    -backend-config="container_name=${TF_STATE_CONTAINER:-tfstate}"
    -backend-config="key={{ cookiecutter.project_slug }}/azure-ml.tfstate"
    -backend-config="use_azuread_auth=true"
  )
fi

terraform init "${init_args[@]}"
terraform workspace select -or-create "$environment"

# The registry first: the image must be in it before the endpoint is told to run it.
terraform apply -input=false -auto-approve -target=azurerm_container_registry.main \
  -var "environment=$environment" -var "image=$source_image"
registry=$(terraform output -raw registry_login_server)
name=${source_image##*/}
name=${name%%[:@]*}
if [[ $source_image == *@* ]]; then
  tag=${source_image##*@}
  tag=${tag/:/-}
else
  tag=${source_image##*:}
fi
image=$registry/$name:$tag

docker pull "$source_image"
docker tag "$source_image" "$image"
az acr login --name "${registry%%.*}"
docker push "$image"

# Terraform waits for the deployment to roll out; a failed rollout fails the apply.
terraform plan -input=false -out=tfplan -var "environment=$environment" -var "image=$image"
terraform apply -input=false tfplan

endpoint=$(terraform output -raw endpoint_url)
key=$(az rest --method post --url "$(terraform output -raw endpoint_id)/listKeys?api-version=2024-10-01" \
  --query primaryKey --output tsv)
sample='{"instances": [{"store_id": 1, "price": 4.5, "promotion": false, "holiday": false,
  "weekday": "monday", "season": "summer", "temperature": 21.0}]}'
echo "Waiting for $endpoint to predict"
for _ in $(seq 30); do
  if curl --fail --silent --show-error --max-time 10 --header "Authorization: Bearer $key" \
    --header "Content-Type: application/json" --data "$sample" "$endpoint"; then
    echo
    echo "Deployed $image to $environment: $endpoint"
    exit 0
  fi
  sleep 10
done
echo "error: $endpoint did not answer within 5 minutes" >&2
exit 1
