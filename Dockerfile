# syntax=docker/dockerfile:1
# modeplatform's container image: one static binary on distroless/static, as an unprivileged user.
#
#   docker build --build-arg VERSION="$(git describe --tags --always --dirty)" -t modeplatform .
#   docker run --rm -p 8080:8080 -e POLICY_FILE=/policy.yaml \
#     -v "$PWD/deploy/overlays/dev/policy.yaml:/policy.yaml:ro" modeplatform
#
# Off loopback the server needs a caller policy (POLICY_FILE) and refuses to start without one;
# without Mode credentials it serves the built-in emulator (the dev policy's key:
# modeplatform-dev-key). deploy/README.md has the rest.
#
# The build flags live in scripts/build.sh and nowhere else: deploy's tests build with that script
# and check this file runs it, so the binary under test is the one that ships. The web console is
# embedded in the binary (go:embed of web/dist), so nothing else is copied.

FROM golang:1.26.11-bookworm AS build
WORKDIR /src
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    VERSION="${VERSION}" ./scripts/build.sh /out/modeplatform

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/modeplatform /usr/local/bin/modeplatform
# Listen on every interface inside the pod (the binary's defaults are loopback only).
ENV LISTEN_ADDR=0.0.0.0:8080 \
    ADMIN_ADDR=0.0.0.0:9090
# 8080: gRPC, Connect and gRPC-Web (HTTP/1.1 and h2c) and the web console; 9090: /metrics, pprof.
EXPOSE 8080 9090
# Numeric, so that Kubernetes' runAsNonRoot can verify it (distroless's "nonroot" is 65532).
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/modeplatform"]
