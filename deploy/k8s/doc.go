// Package k8s holds cohort's Kubernetes manifests. It is a module of its
// own, so that cohort's go.mod stays free of Kubernetes: its tests decode
// every manifest strictly into the upstream k8s.io/api types, check the
// Job's settings against the profile and the image it runs, build that
// image as docs/distributed.md shows, and run scripts/k8s-collect against
// a stand-in kubectl.
package k8s
