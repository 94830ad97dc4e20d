#!/usr/bin/env bash
# Validates deploy/kubernetes/*.yaml against the Kubernetes API's OpenAPI
# schemas of each version below, strictly (an unknown or misspelt field is
# an error), offline: kubernetes-validate (PyPI) bundles the schemas.
# Schemas check fields and types, not what only the API server checks
# (enum values such as completionMode, cross-field rules).
#
# The Jobs use podFailurePolicy rules with onExitCodes alone, which the
# schemas allow from 1.29 on (1.25-1.28 mark onPodConditions required).
#
# usage: scripts/validate-kubernetes.sh   (pip install kubernetes-validate==1.37.0)
set -euo pipefail
cd "$(dirname "$0")/.."

versions=(1.29.0 1.30.0 1.31.0 1.32.0 1.33.0 1.34.0 1.35.0 1.36.0 1.37.0)
for version in "${versions[@]}"; do
  kubernetes-validate --strict --quiet --kubernetes-version "$version" deploy/kubernetes/*.yaml
done
echo "deploy/kubernetes/*.yaml: valid for Kubernetes ${versions[*]} (strict)"
