#!/bin/sh
# build/mlserve.sh OUTPUT builds the production binary the way the image
# ships it. The Dockerfile's builder stage runs this script and
# internal/delivery's test runs it on the build context, so the two cannot
# drift apart.
#
#   VERSION=v1.2.3 COMMIT=$(git rev-parse HEAD) build/mlserve.sh bin/mlserve
#
# The result is one static executable: cgo is on (golearn's logistic
# regression is liblinear, C++), the C and C++ runtimes (glibc, libstdc++,
# libgcc) are linked in, and netgo/osusergo keep Go from calling glibc's
# resolver and user lookups, which would need NSS modules at run time.
set -eu

usage='usage: VERSION=v1.2.3 COMMIT=<git sha> build/mlserve.sh OUTPUT'
out=${1:?$usage}
version=${VERSION:-dev}
commit=${COMMIT:-}

# -X takes a value up to the next space: refuse anything but a plain
# version or hash rather than stamp half of it.
case "$version$commit" in
*[!A-Za-z0-9._+-]*)
	echo "build/mlserve.sh: VERSION and COMMIT may only hold letters, digits and . _ + -" >&2
	exit 2
	;;
esac

case $out in
/*) ;;
*) out=$PWD/$out ;;
esac
cd "$(dirname "$0")/.."

# -buildvcs=false: the image's build context has no .git, so a local build
# must not stamp one either; COMMIT says which commit it is.
# -s -w: no symbol table or DWARF (smaller); panics still print symbolized
# stack traces.
export CGO_ENABLED=1
exec go build -trimpath -buildvcs=false -tags netgo,osusergo \
	-ldflags "-s -w -linkmode=external -extldflags=-static -X main.version=$version -X main.commit=$commit" \
	-o "$out" ./cmd/mlserve
