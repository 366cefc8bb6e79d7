#!/usr/bin/env bash
# Deploy an image to the cluster: deploy/kubernetes/deploy.sh <environment> <image>
#
#   environment  an overlay in deploy/kubernetes/overlays (staging, production)
#   image        the image CI pushed, e.g. registry.example.com/{{ cookiecutter.project_slug }}:1.4.0 or
#                registry.example.com/{{ cookiecutter.project_slug }}@sha256:<digest>
#
# kubectl (1.27+, which bundles kustomize) talks to the cluster of the current context of
# KUBECONFIG (default ~/.kube/config); KUBE_CONTEXT picks another context. The identity needs to
# create the namespace and the namespaced objects of the overlay. ROLLOUT_TIMEOUT (default 10m)
# bounds the wait for the new pods to become ready; on timeout the script fails and Kubernetes
# keeps the old pods serving.
set -euo pipefail

usage() {
  echo "usage: $0 <environment> <image>" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
environment=$1
image=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
overlay=$root/overlays/$environment
[[ -f $overlay/kustomization.yaml ]] || {
  echo "no overlay for environment '$environment' in $root/overlays" >&2
  exit 2
}

# Split registry/name[:tag][@digest] into the fields of a kustomize `images` entry.
name=${image%%@*}
digest=
[[ $image == *@* ]] && digest=${image#*@}
tag=
if [[ ${name##*/} == *:* ]]; then
  tag=${name##*:}
  name=${name%:*}
fi
[[ -n $tag || -n $digest ]] || {
  echo "image '$image' needs a tag or a digest" >&2
  exit 2
}

kubectl=(kubectl)
[[ -n ${KUBE_CONTEXT:-} ]] && kubectl+=(--context "$KUBE_CONTEXT")
namespace=$(sed -n 's/^namespace: *//p' "$overlay/kustomization.yaml")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The overlay, rendered, plus the image: nothing in the repository changes.
"${kubectl[@]}" kustomize "$overlay" >"$work/overlay.yaml"
{
  echo "resources:"
  echo "  - overlay.yaml"
  echo "images:"
  echo "  - name: {{ cookiecutter.project_slug }}"
  echo "    newName: $name"
  [[ -z $tag ]] || echo "    newTag: \"$tag\""
  [[ -z $digest ]] || echo "    digest: $digest"
} >"$work/kustomization.yaml"

echo "Deploying $image to $environment (namespace $namespace)"
"${kubectl[@]}" apply -k "$work"
"${kubectl[@]}" rollout status deployment/{{ cookiecutter.project_slug }} \
  --namespace "$namespace" --timeout "${ROLLOUT_TIMEOUT:-10m}"
