# ssoflow — the commands the README promises. `make demo` and `make test` work on a fresh
# Debian machine with Go and Node: they install the pinned node tools and start (or install)
# the databases the tests need.
SHELL := /bin/bash
GO    ?= go
# Go test timeout for each module; CI gives the whole run 90 minutes.
TEST_TIMEOUT ?= 25m

.PHONY: all deps node services test test-functions test-infra lint demo synth bench fuzz stress clean

all: test

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

node: node_modules/.package-lock.json

deps: node
	$(GO) mod download
	cd functions && $(GO) mod download

services:
	bash scripts/services.sh

lint: node
	@unformatted=$$(gofmt -l infra functions); if [ -n "$$unformatted" ]; then echo "not gofmt-formatted: $$unformatted"; exit 1; fi
	$(GO) vet ./infra/...
	cd functions && $(GO) vet ./...
	@for f in statemachines/*.asl.json; do node_modules/.bin/asl-validator --json-path "$$f" || exit 1; done

test-functions: node services
	cd functions && $(GO) test -timeout $(TEST_TIMEOUT) ./...

test-infra: node
	$(GO) test -timeout $(TEST_TIMEOUT) ./infra/...

# Every test of both modules plus the node checks.
test: lint test-functions test-infra

# Finds a flake before CI does: the emulators, the paths that run them end to end (sandbox,
# replay, grants, event routes) and the reconcile, five times each; the emulators and the
# SDK transport also under the race detector. Takes about half an hour on 2 cores.
STRESS_COUNT ?= 5
stress: node services
	cd functions && $(GO) test -count=$(STRESS_COUNT) -timeout 90m ./internal/emulator/... ./internal/awsconf/... ./internal/localsfn/... ./internal/eventroutes/... ./internal/replay/... ./internal/grant/... ./internal/sandbox/... ./internal/reconcile/...
	cd functions && $(GO) test -race -count=2 -timeout 30m ./internal/emulator/... ./internal/awsconf/... ./internal/notify/... ./internal/execution/...

# The pipeline end to end, locally, on embedded defaults: emulators for Okta, Identity Center,
# SNS, an embedded MySQL that checks IAM tokens, and the real state machines.
demo: node
	$(GO) run ./functions/cmd/ssoflow demo

# CloudFormation templates for every stack, Go functions built for arm64, no AWS credentials.
synth: node
	npx cdk synth -c env=$(or $(ENV),dev) --quiet
	@ls cdk.out/*.template.json

bench: services
	cd functions && $(GO) test -run '^$$' -bench . -benchmem ./...

# A short run of every fuzz target (the seed corpora also run in `make test`).
FUZZTIME ?= 20s
fuzz:
	@cd functions && for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done

clean:
	rm -rf cdk.out
