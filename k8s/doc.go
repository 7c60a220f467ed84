// Package k8s holds mlserve's Kubernetes manifests (a kustomize base, the
// overlays dev and prod, and the KEDA component for the workers) and the
// tests that render them: every object is checked strictly against the
// Kubernetes API types, against mlserve's own configuration loader, and by
// kube-score. There is no Go code to import here.
package k8s
