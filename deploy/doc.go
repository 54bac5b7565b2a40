// Package deploy holds modeplatform's deployment: the Kubernetes manifests (a kustomize base,
// the OpenTelemetry Collector, a Redis component and the dev and prod overlays) and the tests
// that keep them, and the Dockerfile, honest. It is its own Go module so that the Kubernetes API
// types and kustomize, which only these tests need, stay out of the server's module.
//
// The tests (scripts/test-deploy.sh runs them):
//
//   - build the release binary with scripts/build.sh, the script the Dockerfile runs, and check
//     it is static, stamped with its version, and reports it;
//   - check the Dockerfile's structure (multi-stage, pinned bases, non-root numeric user, the
//     ports, the build through scripts/build.sh only);
//   - render every overlay with kustomize (a Go tool of this module: go tool kustomize), decode
//     every object strictly into the Kubernetes API types (unknown or mistyped fields fail) and
//     validate what a cluster would check and more: names, labels, selectors that select,
//     references that resolve, ports, probes, the restricted Pod Security Standard, and the
//     server's own settings (every environment variable is one the binary knows).
package deploy
