#!/usr/bin/env bash
# Deploy an image to EC2: deploy/aws-ec2/deploy.sh <staging|production> <image>
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
#
# Needs terraform, the aws CLI, docker and curl.
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
trap 'rm -f tfplan backend_override.tf' EXIT

init_args=(-input=false)
if [[ -n ${TF_STATE_BUCKET:-} ]]; then
  # Enables the S3 backend that versions.tf documents, for this run only.
  printf 'terraform {\n  backend "s3" {}\n}\n' >backend_override.tf
  init_args+=(
    -reconfigure
    -backend-config="bucket=$TF_STATE_BUCKET"
    -backend-config="key={{ cookiecutter.project_slug }}/aws-ec2.tfstate"
    -backend-config="region=$AWS_REGION"
    -backend-config="encrypt=true"
    -backend-config="use_lockfile=true"
  )
fi
terraform init "${init_args[@]}"
terraform workspace select -or-create "$environment"

# The registry first: the VMs pull from ECR only, so the image must be there before they start.
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

terraform plan -input=false -out=tfplan \
  -var "environment=$environment" -var "image=$repository:$tag"
terraform apply -input=false tfplan

# A new launch template starts an instance refresh: the group replaces its VMs in batches.
group=$(terraform output -raw autoscaling_group_name)
echo "Waiting for the instance refresh of $group"
refreshed=false
for _ in $(seq 120); do
  status=$(aws autoscaling describe-instance-refreshes --auto-scaling-group-name "$group" \
    --max-records 1 --query 'InstanceRefreshes[0].Status' --output text)
  case $status in
    Successful | None)
      refreshed=true
      break
      ;;
    Failed | Cancelled | RollbackSuccessful | RollbackFailed)
      echo "error: the instance refresh of $group ended with status $status" >&2
      exit 1
      ;;
  esac
  sleep 15
done
$refreshed || {
  echo "error: the instance refresh of $group did not finish within 30 minutes (status $status)" >&2
  exit 1
}

endpoint=$(terraform output -raw endpoint_url)
echo "Waiting for $endpoint/ready"
for _ in $(seq 60); do
  if curl --fail --silent --show-error --max-time 5 "$endpoint/ready"; then
    echo
    echo "Deployed $repository:$tag to $environment: $endpoint"
    exit 0
  fi
  sleep 10
done
echo "error: $endpoint/ready did not answer within 10 minutes" >&2
exit 1
