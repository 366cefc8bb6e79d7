#!/usr/bin/env bash
# Deploy an image to SageMaker: deploy/sagemaker/deploy.sh <staging|production> <image>
#
#   environment  staging or production, one Terraform workspace each
#   image        the image CI pushed, e.g. ghcr.io/acme/{{ cookiecutter.project_slug }}:<git sha>; it is
#                copied into the environment's ECR repository under the same tag
#
# Environment variables:
#   AWS_REGION        region to deploy to (required); credentials come from the usual AWS
#                     sources (OIDC role in CI, AWS_PROFILE or SSO locally)
#   TF_STATE_BUCKET   optional: S3 bucket of the Terraform state (local state when unset)
#   TF_VAR_<name>     optional: any other variable of variables.tf, e.g. TF_VAR_alert_email
#                     (TF_VAR_instance_count is set from the live endpoint)
#
# Needs terraform, the aws CLI and docker.
set -euo pipefail

usage() {
  echo "usage: $0 <staging|production> <image>" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
environment=$1
image=$2
[[ $environment == staging || $environment == production ]] || usage
[[ $image =~ ^[^@]+/[^@/:]+:([A-Za-z0-9_][A-Za-z0-9_.-]*)$ ]] || {
  echo "error: $image is not a tagged image reference (registry/name:tag)" >&2
  exit 2
}
tag=${BASH_REMATCH[1]}
export TF_VAR_region=${AWS_REGION:?set AWS_REGION, e.g. eu-west-1}
export TF_IN_AUTOMATION=1

cd "$(dirname "${BASH_SOURCE[0]}")"
trap 'rm -f tfplan backend_override.tf request.json response.json' EXIT

init_args=(-input=false)
if [[ -n ${TF_STATE_BUCKET:-} ]]; then
  # Enables the S3 backend that versions.tf documents, for this run only.
  printf 'terraform {\n  backend "s3" {}\n}\n' >backend_override.tf
  init_args+=(
    -reconfigure
    -backend-config="bucket=$TF_STATE_BUCKET"
    -backend-config="key={{ cookiecutter.project_slug }}/sagemaker.tfstate"
    -backend-config="region=$AWS_REGION"
    -backend-config="encrypt=true"
    -backend-config="use_lockfile=true"
  )
fi
terraform init "${init_args[@]}"
terraform workspace select -or-create "$environment"

# The registry first: SageMaker pulls from ECR in its own region only.
terraform apply -input=false -auto-approve -target=aws_ecr_repository.service \
  -var "environment=$environment" -var "image=$image"
repository=$(terraform output -raw registry_url)
if aws ecr describe-images --repository-name "${repository#*/}" --image-ids "imageTag=$tag" \
  >/dev/null 2>&1; then
  echo "$repository:$tag is already in ECR (tags are immutable)"
else
  aws ecr get-login-password | docker login --username AWS --password-stdin "${repository%%/*}"
  docker pull "$image"
  docker tag "$image" "$repository:$tag"
  docker push "$repository:$tag"
fi

# A new endpoint configuration starts with the variant's current desired count (endpoint.tf
# explains why), so that a deploy during a traffic peak does not scale the endpoint in.
endpoint=$(terraform output -raw endpoint_name 2>/dev/null || true)
if [[ -n $endpoint ]] && desired=$(aws sagemaker describe-endpoint --endpoint-name "$endpoint" \
  --query "ProductionVariants[?VariantName=='AllTraffic'].DesiredInstanceCount | [0]" \
  --output text 2>/dev/null) && [[ $desired =~ ^[1-9][0-9]*$ ]]; then
  echo "$endpoint runs $desired instance(s): the new configuration starts with as many"
  export TF_VAR_instance_count=$desired
fi

terraform plan -input=false -out=tfplan \
  -var "environment=$environment" -var "image=$repository:$tag"
terraform apply -input=false tfplan

# Terraform returns once the endpoint is InService; one real prediction proves the image serves.
endpoint=$(terraform output -raw endpoint_name)
printf '%s' '{"instances": [{"store_id": 3, "price": 4.99, "promotion": true, "holiday": false,
  "weekday": "saturday", "season": "summer", "temperature": 24.5}]}' >request.json
aws sagemaker wait endpoint-in-service --endpoint-name "$endpoint"
aws sagemaker-runtime invoke-endpoint --endpoint-name "$endpoint" \
  --content-type application/json --accept application/json \
  --body fileb://request.json response.json >/dev/null
cat response.json
echo
echo "Deployed $repository:$tag to $environment: $(terraform output -raw endpoint_url)"
