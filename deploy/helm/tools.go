//go:build tools

// Package tools pins the helm command built by deploy/build-helm.sh into this module's go.sum.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
)
