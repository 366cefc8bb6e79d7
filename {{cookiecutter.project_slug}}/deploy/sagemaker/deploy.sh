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
#                     (TF_VAR_instance_count is set from the live endpoint, TF_VAR_model_version
#                     from the image)
#   BASELINE_TIMEOUT  optional: seconds to wait for a baselining job (default 1800)
#
# Needs terraform, the aws CLI, docker and jq.
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

baseline_timeout=${BASELINE_TIMEOUT:-1800}
[[ $baseline_timeout =~ ^[1-9][0-9]*$ ]] || {
  echo "error: BASELINE_TIMEOUT must be a number of seconds, not $baseline_timeout" >&2
  exit 2
}

cd "$(dirname "${BASH_SOURCE[0]}")"
trap 'rm -f tfplan backend_override.tf request.json response.json baselining.json training.csv' EXIT

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

# The image's model names its Model Monitor baseline (model_monitor.tf): ask the image.
docker image inspect "$image" >/dev/null 2>&1 || docker pull "$image"
in_image() {
  docker run --rm --entrypoint python "$image" -m {{ cookiecutter.package_name }}.model_monitor "$@"
}
TF_VAR_model_version=$(in_image version)
export TF_VAR_model_version
echo "$image serves model version $TF_VAR_model_version"

# The registry first, SageMaker pulls from ECR in its own region only; and the data bucket and
# the monitor role, which the baselining job below needs before the endpoint exists.
terraform apply -input=false -auto-approve -target=aws_ecr_repository.service \
  -target=aws_s3_bucket_server_side_encryption_configuration.data \
  -target=aws_s3_bucket_public_access_block.data -target=aws_s3_bucket_policy.data \
  -target=aws_iam_role_policy.monitor \
  -var "environment=$environment" -var "image=$image"
repository=$(terraform output -raw registry_url)
if aws ecr describe-images --repository-name "${repository#*/}" --image-ids "imageTag=$tag" \
  >/dev/null 2>&1; then
  echo "$repository:$tag is already in ECR (tags are immutable)"
else
  aws ecr get-login-password | docker login --username AWS --password-stdin "${repository%%/*}"
  docker tag "$image" "$repository:$tag"
  docker push "$repository:$tag"
fi

# The baseline of this model version, unless monitor_baseline is off: the training features in
# the layout monitor/preprocessor.py flattens captures into, and the statistics and constraints
# the model-monitor analyzer suggests for them.
baselining=$(terraform output -json baselining)
if [[ $baselining == null ]]; then
  echo "monitor_baseline is off: Model Monitor reports statistics without a baseline"
else
  bucket=$(jq -r .bucket <<<"$baselining")
  prefix=$(jq -r .prefix <<<"$baselining")
  uri=$(jq -r .uri <<<"$baselining")
  baselined() {
    aws s3api head-object --bucket "$bucket" --key "$prefix/statistics.json" >/dev/null 2>&1 &&
      aws s3api head-object --bucket "$bucket" --key "$prefix/constraints.json" >/dev/null 2>&1
  }
  if baselined; then
    echo "Model version $TF_VAR_model_version has its baseline: $uri"
  else
    in_image dataset >training.csv
    aws s3 cp training.csv "$uri/dataset/training.csv" --only-show-errors
    job="$(jq -r .job_name_prefix <<<"$baselining")-$(date -u +%Y%m%d%H%M%S)"
    jq .request <<<"$baselining" >baselining.json
    aws sagemaker create-processing-job --processing-job-name "$job" \
      --cli-input-json file://baselining.json >/dev/null
    echo "Baselining job $job suggests the baseline of model version $TF_VAR_model_version"
    deadline=$((SECONDS + baseline_timeout))
    while :; do
      status=$(aws sagemaker describe-processing-job --processing-job-name "$job" \
        --query ProcessingJobStatus --output text)
      case $status in
        Completed) break ;;
        Failed | Stopped)
          reason=$(aws sagemaker describe-processing-job --processing-job-name "$job" \
            --query "FailureReason || ExitMessage || 'no reason given'" --output text)
          echo "error: baselining job $job $status: $reason" >&2
          echo "its logs: log group /aws/sagemaker/ProcessingJobs, streams $job/*" >&2
          exit 1
          ;;
      esac
      if ((SECONDS >= deadline)); then
        echo "error: baselining job $job is still $status after ${baseline_timeout}s: stopping it" >&2
        aws sagemaker stop-processing-job --processing-job-name "$job" || true
        exit 1
      fi
      sleep 30
    done
    baselined || {
      echo "error: baselining job $job completed without statistics.json and constraints.json in $uri" >&2
      exit 1
    }
    echo "Baseline of model version $TF_VAR_model_version: $uri"
  fi
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
