#!/usr/bin/env bash
# Deploys an image of the service to one environment on Compute Engine, then waits until the load
# balancer answers /ready.
#
#   deploy/gcp-compute-engine/deploy.sh <staging|production> <image>
#
# <image> is the image CI pushed and scanned (ghcr.io/<owner>/<repo>:<sha>, $CI_REGISTRY_IMAGE:<sha>);
# it is copied into the environment's Artifact Registry repository, which Terraform creates first.
#
# Environment (Terraform reads every TF_VAR_<name> as variable <name> of variables.tf):
#   Google credentials    Application Default Credentials: Workload Identity Federation in CI,
#                         `gcloud auth application-default login` by hand
#   GCP_PROJECT           required: project ID to deploy to
#   GCP_REGION            region to deploy to (default europe-west1)
#   TF_VAR_allowed_source_ranges  required: HCL list of the CIDRs allowed through Cloud Armor,
#                         e.g. '["203.0.113.0/24"]'
#   TF_VAR_alert_email    email address the Cloud Monitoring alerts notify (optional)
#   TF_STATE_BUCKET       GCS bucket holding the Terraform state; local state when unset
set -euo pipefail

usage() {
  echo "usage: $0 <staging|production> <image>" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
environment=$1
source_image=$2
[[ $environment == staging || $environment == production ]] || usage
: "${GCP_PROJECT:?set GCP_PROJECT to the Google Cloud project ID}"
region=${GCP_REGION:-europe-west1}
export TF_VAR_project_id=$GCP_PROJECT TF_VAR_region=$region

# The tag (or digest) of the CI image is kept, so both registries name the same build.
if [[ $source_image == *@sha256:* ]]; then
  tag=sha256-${source_image##*@sha256:}
else
  tag=${source_image##*:}
  [[ $tag != "$source_image" && $tag != */* ]] || {
    echo "error: $source_image has no tag" >&2
    exit 2
  }
fi

cd "$(dirname "$0")"
trap 'rm -f tfplan backend_override.tf' EXIT

init_args=(-input=false -reconfigure)
if [[ -n ${TF_STATE_BUCKET:-} ]]; then
  # Enables the GCS backend (commented out in versions.tf for local use) for this run only.
  printf 'terraform {\n  backend "gcs" {}\n}\n' >backend_override.tf
  init_args+=(
    -backend-config="bucket=$TF_STATE_BUCKET"
    -backend-config="prefix={{ cookiecutter.project_slug }}/gcp-compute-engine"
  )
fi

terraform init "${init_args[@]}"
terraform workspace select -or-create "$environment"

# 1. The registry must exist before the image can be copied into it.
terraform apply -input=false -auto-approve \
  -target=google_artifact_registry_repository.service \
  -var "environment=$environment" -var "image=$source_image"
registry=$(terraform output -raw registry_url)
image=$registry/service:$tag

# 2. Copy the scanned image; tags are immutable, so a re-run of the same build skips the push.
gcloud auth configure-docker "${registry%%/*}" --quiet
if gcloud artifacts docker images describe "$image" >/dev/null 2>&1; then
  echo "$image is already in Artifact Registry"
else
  docker pull "$source_image"
  docker tag "$source_image" "$image"
  docker push "$image"
fi

# 3. Everything else; the instance group rolls out the new template instance by instance.
terraform plan -input=false -out=tfplan -var "environment=$environment" -var "image=$image"
terraform apply -input=false tfplan

endpoint=$(terraform output -raw endpoint_url)
backend=$(terraform output -raw backend_service)

# Every instance behind the load balancer passes its /ready health check.
backends_healthy() {
  local states
  states=$(gcloud compute backend-services get-health "$backend" --global --project="$GCP_PROJECT" \
    --format='value(status.healthStatus[].healthState)' | tr ';' '\n')
  [[ -n $states ]] && ! grep --quiet --invert-match '^HEALTHY$' <<<"$states"
}

echo "Waiting for $endpoint/ready (a new load balancer takes a few minutes)"
for _ in $(seq 90); do
  status=$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 5 "$endpoint/ready" || true)
  if [[ $status == 200 ]]; then
    echo "Deployed $image to $environment: $endpoint"
    exit 0
  fi
  # 403: Cloud Armor refuses this machine (not in allowed_source_ranges); ask the load balancer.
  if [[ $status == 403 ]] && backends_healthy; then
    echo "Deployed $image to $environment: $endpoint (all backends healthy; this machine is not an allowed caller)"
    exit 0
  fi
  sleep 10
done
echo "error: $endpoint/ready did not answer within 15 minutes" >&2
exit 1
