# phonghop: `make run` serves the demo meeting on the embedded store;
# `make test` installs what the tests need and runs every suite.
SHELL := /bin/bash
GO ?= go
BIN := bin/phonghop
export PHONGHOP_TOOLS_BIN ?= $(HOME)/.cache/phonghop/bin
export PATH := $(PHONGHOP_TOOLS_BIN):$(PATH)
# Build and test with the toolchain go.mod names (go1.26.10, the patched standard
# library), fetched once through the module proxy; the machine's Go defaults to
# GOTOOLCHAIN=local, which would ignore that line.
GOTOOLCHAIN ?= auto
export GOTOOLCHAIN
PHONGHOP_ADMIN_PASSWORD ?= quan-tri-he-thong
GOTEST_FLAGS ?= -race -count=1 -timeout 20m
FUZZTIME ?= 10s

.PHONY: staticcheck all build frontend run test test-go test-frontend test-e2e test-cluster tools vet vulncheck fuzz bench clean

all: build

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error

frontend: frontend/node_modules/.package-lock.json
	cd frontend && npm run build

build: frontend
	$(GO) build -o $(BIN) ./cmd/phonghop
	$(GO) build -o bin/phonghop-load ./cmd/phonghop-load

run: build
	PHONGHOP_ADMIN_PASSWORD=$(PHONGHOP_ADMIN_PASSWORD) ./$(BIN) demo

tools:
	bash scripts/tools.sh all >/dev/null

vet:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt needed'; exit 1; }
	$(GO) vet ./...

# staticcheck (scripts/tools.sh installs the pinned version): bugs and unused code.
staticcheck: tools
	staticcheck ./...

test-go: tools vet staticcheck
	$(GO) test $(GOTEST_FLAGS) ./...

test-frontend: frontend/node_modules/.package-lock.json
	cd frontend && npm test && npm run build

test-e2e: build tools
	bash scripts/e2e.sh

# Each fuzz target runs briefly on every test run; longer: make fuzz FUZZTIME=10m.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzClientMessage$$' -fuzztime $(FUZZTIME) ./live
	$(GO) test -run '^$$' -fuzz '^FuzzAddDocument$$' -fuzztime $(FUZZTIME) ./meetings
	$(GO) test -run '^$$' -fuzz '^FuzzBuild$$' -fuzztime $(FUZZTIME) ./pagetree

# The cluster as plain processes: S3 gateway, nats-server, two phonghop nodes.
test-cluster: tools
	bash scripts/cluster.sh check

# Known vulnerabilities in the Go code (govulncheck) and the web app (npm audit).
vulncheck:
	bash scripts/vulncheck.sh

test: vulncheck test-go fuzz test-cluster test-frontend test-e2e

bench: tools
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin frontend/node_modules
