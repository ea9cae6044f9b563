# netagent: `make help` lists the targets.
GO      ?= go
PKGS    ?= ./...
BIN     := bin/netagent
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/netagent/netagent/internal/agent.Version=$(VERSION)
FUZZTIME ?= 30s
# The toolchain is pinned here, not only in go.mod: a machine's GOTOOLCHAIN
# setting (local, or go.mod's toolchain line ignored) would otherwise build
# with an older Go whose standard library has known vulnerabilities.
export GOTOOLCHAIN := go1.27.3

.DEFAULT_GOAL := help
.PHONY: help build run test interop bench bench-nl chaos fuzz lint vuln clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build bin/netagent
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/netagent

run: build ## Start the agent with its embedded defaults (simulated lab, embedded store)
	./$(BIN) serve

test: ## go vet, then every unit test with the race detector (fuzz seed corpora included)
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 $(PKGS)

interop: ## Tests against real servers (yuma123, FRR, gnxi, ncclient, netmiko); installs them
	bash scripts/interop.sh

GNMI_CLI := bin/gnmi_cli

bench: $(GNMI_CLI) ## Benchmarks (gnmi_cli built for the ingest comparison), the scale runs (100 and 1,000 lab devices, 1,000 collected by telemetry) and wrk against the server; figures go in README.md
	NETAGENT_GNMI_CLI=$(CURDIR)/$(GNMI_CLI) $(GO) test -run '^$$' -bench . -benchmem $(PKGS)
	bash scripts/scale-bench.sh 100 1000
	bash scripts/telemetry-scale.sh 1000
	bash scripts/wrk-bench.sh 10 16

NLCOUNT ?= 10
bench-nl: ## Natural-language parse benchmarks alone, NLCOUNT runs (default 10): mean, median (p50-wall-ns) and p99 wall and CPU per sentence
	$(GO) test -run '^$$' -bench 'BenchmarkParse' -benchtime 5000x -count $(NLCOUNT) ./intent/nl/

$(GNMI_CLI):
	GOBIN=$(CURDIR)/bin $(GO) install github.com/openconfig/gnmi/cmd/gnmi_cli@v0.14.1

CHAOS ?= 20
chaos: SHELL := /bin/bash
chaos: ## Transaction fault matrix, coordinator and participant-agent SIGKILL cases and the hung peer network, each CHAOS times (default 20), with a summary table (case, runs, all-or-none held, median recovery); the kill storm with 1,000 intents
	set -o pipefail; $(GO) test -race -count=1 -v -timeout 90m -run 'TestFaultMatrix|TestCoordinatorSIGKILL|TestParticipantSIGKILL|TestPeerNetworkHangs' ./txn/ -args -chaos $(CHAOS) \
		| grep -E '^([|]|ok|FAIL|--- FAIL|    --- FAIL|.*_test.go)'
	$(GO) test -race -count=1 -timeout 30m -run 'TestSIGKILLWhileIntentsArrive' ./intent/fleet/ -args -storm 1000

fuzz: ## Run every fuzz target for FUZZTIME each
	bash scripts/fuzz.sh $(FUZZTIME)

lint: ## go vet and staticcheck (pinned in go.mod)
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)

vuln: ## govulncheck (pinned in go.mod) offline, against a locally built database; fails on any finding
	bash scripts/vuln.sh

clean: ## Remove build output and local state
	rm -rf bin .netagent
