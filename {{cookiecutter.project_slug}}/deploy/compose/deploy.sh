#!/usr/bin/env bash
# Deploy an image to the compose host: deploy/compose/deploy.sh <environment> <image>
#
#   environment  staging or production: one host each (CI sets DEPLOY_HOST per environment)
#   image        the image CI pushed, e.g. registry.example.com/{{ cookiecutter.project_slug }}:1.4.0
#
# Environment variables:
#   DEPLOY_HOST             ssh destination, e.g. deploy@ml-01.example.com (required); the user
#                           runs docker and owns DEPLOY_PATH
#   DEPLOY_PATH             directory on the host (default /opt/{{ cookiecutter.project_slug }})
#   REGISTRY_USER           optional: log the host in to the image's registry with these
#   REGISTRY_PASSWORD       credentials first (otherwise the host must already be logged in)
#   GRAFANA_ADMIN_PASSWORD  required on the first deploy; later deploys keep the stored one
#   ALERT_SLACK_WEBHOOK_URL optional: Slack incoming webhook of the alert receiver
#   ALERT_SMTP_PASSWORD     optional: password of the SMTP account that sends alert emails
# Each secret is stored on the host in deploy/compose/secrets/<lowercase name> (mode 700 dir).
#
# The host needs Docker Engine with the Compose plugin (2.20+), rsync and ssh access; the
# machine running this script needs ssh and rsync.
set -euo pipefail

usage() {
  echo "usage: $0 staging|production <image>" >&2
  exit 2
}

[[ $# -eq 2 && $1 =~ ^(staging|production)$ ]] || usage
environment=$1
image=$2
host=${DEPLOY_HOST:?set DEPLOY_HOST to the ssh destination, e.g. deploy@ml-01.example.com}
path=${DEPLOY_PATH:-/opt/{{ cookiecutter.project_slug }}}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
secrets=(GRAFANA_ADMIN_PASSWORD ALERT_SLACK_WEBHOOK_URL ALERT_SMTP_PASSWORD)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077
mkdir "$work/secrets"
for name in "${secrets[@]}"; do
  file=$(tr '[:upper:]' '[:lower:]' <<<"$name")
  [[ -z ${!name:-} ]] || printf '%s' "${!name}" >"$work/secrets/$file"
done
printf 'COMPOSE_PROJECT_NAME=%s\nIMAGE=%s\n' {{ cookiecutter.project_slug }} "$image" >"$work/.env"

echo "Deploying $image to $environment ($host:$path)"
remote_path=$(printf '%q' "$path")
# shellcheck disable=SC2029 # the path is quoted for the remote shell on purpose
ssh "$host" "mkdir -p $remote_path/deploy/compose/secrets $remote_path/monitoring \
  && chmod 700 $remote_path/deploy/compose/secrets"
rsync -rlptz --delete --exclude /secrets/ --exclude /.env \
  "$repo/deploy/compose/" "$host:$path/deploy/compose/"
rsync -rlptz --delete "$repo/monitoring/" "$host:$path/monitoring/"
rsync -rlptz --chmod=D700,F644 "$work/secrets/" "$host:$path/deploy/compose/secrets/"
rsync -rlptz --chmod=F600 "$work/.env" "$host:$path/deploy/compose/.env"

if [[ -n ${REGISTRY_USER:-} ]]; then
  # shellcheck disable=SC2029
  ssh "$host" "docker login --username $(printf '%q' "$REGISTRY_USER") --password-stdin \
    $(printf '%q' "${image%%/*}")" <<<"${REGISTRY_PASSWORD:?set REGISTRY_PASSWORD with REGISTRY_USER}"
fi

# On the host: create the optional secrets that are not set, start the new image once it is
# pulled, wait for every healthcheck, then for the model to be loaded.
# shellcheck disable=SC2029
ssh "$host" "bash -s -- $remote_path" <<'REMOTE'
set -euo pipefail
cd "$1/deploy/compose"
[[ -s secrets/grafana_admin_password ]] || {
  echo "no Grafana admin password on the host: set GRAFANA_ADMIN_PASSWORD" >&2
  exit 1
}
for file in secrets/alert_slack_webhook_url secrets/alert_smtp_password; do
  [[ -e $file ]] || install -m 644 /dev/null "$file"
done
docker compose pull --quiet
docker compose up --detach --no-build --remove-orphans --wait --wait-timeout 300
ready="import urllib.request as r; print(r.urlopen('http://127.0.0.1:8000/ready', timeout=2).read().decode())"
for _ in $(seq 30); do
  docker compose exec -T api python -c "$ready" && exit 0
  sleep 2
done
docker compose logs --tail 50 api >&2
echo "the service did not become ready" >&2
exit 1
REMOTE
