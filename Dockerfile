# syntax=docker/dockerfile:1

# The mlserve image: one static binary, two roles.
#
#   docker build --build-arg VERSION=v1.2.3 --build-arg COMMIT=$(git rev-parse HEAD) -t mlserve:v1.2.3 .
#   docker run -e MLSERVE_MONGO_URI=... -e MLSERVE_REDIS_ADDR=... -p 8080:8080 mlserve:v1.2.3   # api
#   docker run -e MLSERVE_MONGO_URI=... -e MLSERVE_REDIS_ADDR=... mlserve:v1.2.3 worker
#
# Static, not dynamic: golearn's logistic regression is liblinear (C++ via
# cgo), and glibc, libstdc++ and libgcc link statically into the binary
# (build/mlserve.sh). netgo and osusergo keep Go away from glibc's resolver and
# user lookups, the only parts of a static glibc that would want NSS modules
# at run time, so the linker gives no warning. The runtime image needs no libc
# and no shell: distroless static, as user nonroot (65532). Training re-execs
# the binary itself (/proc/self/exe), which needs nothing else either.
# internal/delivery's test runs this file's build on the build context and
# proves the result static (ldd), runs it as 65532 in an otherwise empty root
# and trains a model through it.
#
# Base images are arguments so a mirror can supply them:
#   --build-arg GO_IMAGE=registry.example/golang:1.26-bookworm
#   --build-arg RUNTIME_IMAGE=registry.example/distroless/static-debian12:nonroot
# The builder must be Debian-based with gcc and g++ (the official golang
# images are) and its Go at least go.mod's go version.

ARG GO_IMAGE=golang:1.26-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM ${GO_IMAGE} AS build
WORKDIR /src
# Modules first: a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=
# VERSION and COMMIT reach the script as build-time environment variables.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    sh build/mlserve.sh bin/mlserve

FROM ${RUNTIME_IMAGE}
ARG VERSION=dev
ARG COMMIT=
LABEL org.opencontainers.image.title="mlserve" \
      org.opencontainers.image.description="mlserve API and worker" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"
# Owned by root, so the process cannot replace its own binary.
COPY --from=build /src/bin/mlserve /mlserve
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/mlserve"]
CMD ["api"]
