package main

// buildVersion is the release version stamped at link time by scripts/build.sh, the one
// definition of the release build that the Dockerfile runs:
//
//	go build -ldflags "-X main.buildVersion=v1.4.0" ./cmd/modeplatform
//
// It is empty in a plain go build, go run or go test, where version falls back to the module
// version in the build info. An ldflags stamp rather than -buildvcs: the Docker build context
// has no .git (see .dockerignore), so VCS stamping would have nothing to read there.
var buildVersion string
