#!/usr/bin/env bash
# Deploys an image of the service to one environment's Vertex AI endpoint, then sends it a
# prediction.
#
#   deploy/vertex-ai/deploy.sh <staging|production> <image>
#
# <image> is the image CI pushed and scanned (ghcr.io/<owner>/<repo>:<sha>, $CI_REGISTRY_IMAGE:<sha>).
# Terraform creates the registry, endpoint and capture dataset; this script copies the image into
# the registry, uploads it as a new version of the Vertex AI model, deploys that version with all
# traffic, undeploys the previous one and creates or updates the endpoint's model monitoring job.
#
# Environment (Terraform reads every TF_VAR_<name> as variable <name> of variables.tf):
#   Google credentials    Application Default Credentials and gcloud: Workload Identity
#                         Federation in CI, `gcloud auth login --update-adc` by hand
#   GCP_PROJECT           required: project ID to deploy to
#   GCP_REGION            Vertex AI region to deploy to (default europe-west1)
#   TF_VAR_alert_email    email address the Cloud Monitoring alerts and Vertex AI Model Monitoring
#                         notify (optional; without it, no model monitoring job)
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
gcloud_args=(--project="$GCP_PROJECT" --region="$region" --quiet)

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
sample_instance=$(mktemp)
trap 'rm -f tfplan backend_override.tf "$sample_instance"' EXIT

init_args=(-input=false -reconfigure)
if [[ -n ${TF_STATE_BUCKET:-} ]]; then
  # Enables the GCS backend (commented out in versions.tf for local use) for this run only.
  printf 'terraform {\n  backend "gcs" {}\n}\n' >backend_override.tf
  init_args+=(
    -backend-config="bucket=$TF_STATE_BUCKET"
    -backend-config="prefix={{ cookiecutter.project_slug }}/vertex-ai"
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

# 3. Endpoint, capture dataset, alerts.
terraform plan -input=false -out=tfplan -var "environment=$environment" -var "image=$image"
terraform apply -input=false tfplan

endpoint_id=$(terraform output -raw endpoint_id)
endpoint_url=$(terraform output -raw endpoint_url)
model_id=$(terraform output -raw model_id)

# 4. Upload the image as a new version of the model. Its default command serves Vertex AI's
#    contract on AIP_HTTP_PORT (8080), AIP_HEALTH_ROUTE and AIP_PREDICT_ROUTE.
upload_args=(
  --display-name="$model_id"
  --container-image-uri="$image"
  --container-ports=8080
  --labels="environment=$environment"
)
if gcloud ai models describe "$model_id" "${gcloud_args[@]}" >/dev/null 2>&1; then
  upload_args+=(--parent-model="projects/$GCP_PROJECT/locations/$region/models/$model_id")
else
  upload_args+=(--model-id="$model_id")
fi
gcloud ai models upload "${gcloud_args[@]}" "${upload_args[@]}"
version=$(gcloud ai models list-version "$model_id" "${gcloud_args[@]}" \
  --sort-by=~versionCreateTime --limit=1 --format='value(versionId)')

# 5. Deploy it with all traffic, then undeploy what served before.
previous=$(gcloud ai endpoints describe "$endpoint_id" "${gcloud_args[@]}" \
  --format='value(deployedModels.id)' | tr ';' ' ')
gcloud ai endpoints deploy-model "$endpoint_id" "${gcloud_args[@]}" \
  --model="$model_id@$version" \
  --display-name="$model_id-v$version" \
  --service-account="$(terraform output -raw service_account_email)" \
  --machine-type="$(terraform output -raw machine_type)" \
  --min-replica-count="$(terraform output -raw min_replicas)" \
  --max-replica-count="$(terraform output -raw max_replicas)" \
  --autoscaling-metric-specs=cpu-usage=60 \
  --traffic-split=0=100 \
  --enable-access-logging
for deployed_model in $previous; do
  gcloud ai endpoints undeploy-model "$endpoint_id" "${gcloud_args[@]}" \
    --deployed-model-id="$deployed_model"
done

# An instance as callers send it: the monitoring job's sample and the smoke test's request.
instance='{"store_id": 1, "price": 9.99, "promotion": false, "holiday": false, "weekday": "monday", "season": "spring", "temperature": 18.5}'

# 6. Vertex AI Model Monitoring (v1) of the endpoint: once a day, the job compares each monitored
#    feature of the logged requests with the day before and emails TF_VAR_alert_email when the
#    distance passes its threshold (drift_thresholds in variables.tf). It reads the request-response
#    log Terraform enabled on the endpoint (see endpoint.tf for why that order matters), with the
#    feature types taken from a sample instance. The first deploy creates the job; later ones update
#    it, which applies the thresholds to the models deployed now.
if [[ -n ${TF_VAR_alert_email:-} ]]; then
  monitoring_args=(
    --emails="$TF_VAR_alert_email"
    --prediction-sampling-rate="$(terraform output -raw capture_sampling_rate)"
    --monitoring-frequency=24
    --feature-thresholds="$(terraform output -raw drift_feature_thresholds)"
    --anomaly-cloud-logging
  )
  monitoring_job=$(gcloud ai model-monitoring-jobs list "${gcloud_args[@]}" \
    --filter="displayName=$model_id-drift" --format='value(name)' --limit=1)
  if [[ -n $monitoring_job ]]; then
    gcloud ai model-monitoring-jobs update "${monitoring_job##*/}" "${gcloud_args[@]}" \
      "${monitoring_args[@]}"
  else
    printf '%s\n' "$instance" >"$sample_instance"
    gcloud ai model-monitoring-jobs create "${gcloud_args[@]}" "${monitoring_args[@]}" \
      --display-name="$model_id-drift" \
      --endpoint="$endpoint_id" \
      --sample-predict-request="$sample_instance" \
      --labels="environment=$environment"
  fi
else
  echo "warning: TF_VAR_alert_email is not set: no model monitoring job for $environment" >&2
fi

# 7. One real prediction through the endpoint.
for _ in $(seq 10); do
  if curl --fail --silent --show-error --max-time 30 \
    --header "Authorization: Bearer $(gcloud auth print-access-token)" \
    --header "Content-Type: application/json" \
    --data "{\"instances\": [$instance]}" "$endpoint_url:predict"; then
    echo
    echo "Deployed $image (model $model_id version $version) to $environment: $endpoint_url"
    exit 0
  fi
  sleep 15
done
echo "error: $endpoint_url:predict did not answer" >&2
exit 1
