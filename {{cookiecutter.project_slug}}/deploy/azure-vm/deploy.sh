#!/usr/bin/env bash
# Deploys an image of the service to one environment on Azure VMs, then waits until it answers /ready.
#
#   deploy/azure-vm/deploy.sh <staging|production> <image>
#
# <image> is the scanned image the CI build pushed (ghcr.io/<owner>/<repo>:<sha>, $CI_REGISTRY_IMAGE:<sha>);
# it is copied into the environment's Azure Container Registry, which the VMs pull from.
#
# Needs terraform, az (logged in: `az login`, or OIDC in CI), docker and curl. Environment:
#   AZURE_SUBSCRIPTION_ID          required: subscription to deploy to
#   AZURE_LOCATION                 region to deploy to (default westeurope)
#   TF_VAR_allowed_cidr            required: IPv4 CIDR allowed to reach port 8000; include this machine
#   TF_VAR_alert_email             required: email address the alerts notify
#   TF_VAR_admin_ssh_public_key    required: OpenSSH public key of the VMs' admin user
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
    -backend-config="key={{ cookiecutter.project_slug }}/azure-vm.tfstate"
    -backend-config="use_azuread_auth=true"
  )
fi

terraform init "${init_args[@]}"
terraform workspace select -or-create "$environment"

# The registry first: the image must be in it before the VMs are told to run it.
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

terraform plan -input=false -out=tfplan -var "environment=$environment" -var "image=$image"
terraform apply -input=false tfplan

# The image change rolls through the scale set in batches; wait until every VM runs the new model.
resource_group=$(terraform output -raw resource_group_name)
scale_set=$(terraform output -raw scale_set_name)
echo "Waiting for the rolling upgrade of $scale_set"
for _ in $(seq 90); do
  outdated=$(az vmss list-instances --resource-group "$resource_group" --name "$scale_set" \
    --query "length([?!latestModelApplied])" --output tsv)
  [[ $outdated == 0 ]] && break
  sleep 10
done
[[ $outdated == 0 ]] || {
  echo "error: $outdated VM(s) of $scale_set still run the previous model after 15 minutes" >&2
  exit 1
}

endpoint=$(terraform output -raw endpoint_url)
echo "Waiting for $endpoint/ready"
for _ in $(seq 90); do
  if curl --fail --silent --show-error --max-time 5 "$endpoint/ready"; then
    echo
    echo "Deployed $image to $environment: $endpoint"
    exit 0
  fi
  sleep 10
done
echo "error: $endpoint/ready did not answer within 15 minutes" >&2
exit 1
