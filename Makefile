# netagent: `make help` lists the targets.
GO      ?= go
PKGS    ?= ./...
BIN     := bin/netagent
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/netagent/netagent/internal/agent.Version=$(VERSION)
FUZZTIME ?= 30s

.DEFAULT_GOAL := help
.PHONY: help build run test interop bench chaos fuzz lint clean

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

bench: ## Benchmarks; figures go in README.md
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

CHAOS ?= 20
chaos: SHELL := /bin/bash
chaos: ## Transaction fault matrix and coordinator SIGKILL cases, each CHAOS times (default 20), with a summary table
	set -o pipefail; $(GO) test -race -count=1 -v -timeout 90m -run 'TestFaultMatrix|TestCoordinatorSIGKILL' ./txn/ -args -chaos $(CHAOS) \
		| grep -E '^(fault case|coordinator SIGKILL case|[a-z][a-z ,-]+ +[0-9]+ +[0-9]+$$|ok|FAIL|--- FAIL|    --- FAIL|.*_test.go)'

fuzz: ## Run every fuzz target for FUZZTIME each
	bash scripts/fuzz.sh $(FUZZTIME)

lint: ## go vet and staticcheck (pinned in go.mod)
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)

clean: ## Remove build output and local state
	rm -rf bin .netagent
