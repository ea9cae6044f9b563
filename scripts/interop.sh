#!/usr/bin/env bash
# make interop: installs the real servers and clients netagent is tested
# against (yuma123 netconfd, FRR, OpenSSH, ncclient, netmiko, Prometheus from Debian;
# gnxi's gnmi_target from the Go module proxy), then runs every test behind
# the `interop` build tag. The tests start the servers on loopback or in a
# network namespace they create, and stop them. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "interop: must run as root (it installs packages, adds login users and a network namespace)" >&2
  exit 1
fi

pkgs=(netconfd frr openssh-server python3-ncclient python3-netmiko iproute2)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "interop: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The packaged FRR service must not hold the sockets the tests use.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet frr 2>/dev/null; then
  systemctl stop frr
fi

# The MCP TypeScript SDK and Inspector run on Node.js; npm installs them
# (pinned) into a temporary folder outside the repository.
for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "interop: $tool is missing (the MCP interop tests need Node.js and npm)" >&2; exit 1; }
done

gnxi_version=v0.0.0-20231026134436-d82d9936af15
export NETAGENT_GNMI_TARGET=${NETAGENT_GNMI_TARGET:-/tmp/netagent-interop/gnmi_target}
if [ ! -x "$NETAGENT_GNMI_TARGET" ]; then
  echo "interop: building gnxi gnmi_target $gnxi_version"
  build=$(mktemp -d)
  mkdir -p "$(dirname "$NETAGENT_GNMI_TARGET")"
  (
    cd "$build"
    go mod init netagent-interop-gnxi >/dev/null 2>&1
    GONOSUMDB=github.com/google/gnxi GOFLAGS=-mod=mod go get "github.com/google/gnxi@$gnxi_version" >/dev/null 2>&1
    GONOSUMDB=github.com/google/gnxi GOFLAGS=-mod=mod go build -o "$NETAGENT_GNMI_TARGET" github.com/google/gnxi/gnmi_target
  )
  rm -rf "$build"
fi

# Only the packages that have interop tests, one at a time: netconfd and FRR
# use fixed socket paths.
mapfile -t dirs < <(grep -rl --include='*_test.go' '^//go:build interop' . | xargs -n1 dirname | sort -u)
if [ ${#dirs[@]} -eq 0 ]; then
  echo "interop: no interop tests found" >&2
  exit 1
fi
go test -tags interop -count=1 -p 1 -timeout 20m "$@" "${dirs[@]}"
