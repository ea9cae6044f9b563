#!/usr/bin/env bash
# Interop tests of the protocol adapters (make interop runs them with the
# rest): NETCONF against yuma123 netconfd with the IETF encoding, CLI
# against FRR vtysh through OpenSSH, gNMI against gnxi's gnmi_target. The
# tests start each server on loopback (FRR in a network namespace they
# create) and stop it. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
# scripts/interop.sh installs the Debian packages and builds gnmi_target;
# with -run '^$' it runs no test.
bash scripts/interop.sh -run '^$' >/dev/null
export NETAGENT_GNMI_TARGET=${NETAGENT_GNMI_TARGET:-/tmp/netagent-interop/gnmi_target}
go test -tags interop -count=1 -p 1 -timeout 10m -run Interop -v "$@" ./adapters/... | grep -E '^(=== RUN|--- |PASS|FAIL|ok|\s+\S+_test.go)'
