# podinit: `make demo` shows it at work, `make test` runs every test.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: deps build demo demo-container test e2e race lint bench clean

# Debian packages the demos and tests need, installed when missing.
deps:
	@scripts/install-deps

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/podinit ./cmd/podinit

demo: deps build
	$(GO) run ./demo

# The same story in a real podman container, stopped by podman stop.
demo-container: deps
	$(GO) run ./demo/container

lint:
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

test: deps build lint
	$(GO) test -race -count=1 -timeout 10m $$($(GO) list ./... | grep -v /e2e)
	$(MAKE) e2e
	$(GO) test -run '^$$' -fuzz FuzzParseStep -fuzztime 10s ./hooks
	$(GO) test -run '^$$' -fuzz FuzzReadPlanFile -fuzztime 10s ./hooks

# podinit in real containers (root, podman, runc and busybox-static); -v so
# the log says which of them ran and how long each took.
e2e: deps
	$(GO) test -count=1 -timeout 10m -v ./e2e/...

# The black-box tests again, with podinit itself built with the race detector.
race:
	PODINIT_TEST_RACE=1 $(GO) test -race -count=1 -timeout 15m ./cmd/podinit

# Rewrites the measured part of bench/RESULTS.md and keeps its notes; the
# floors are built from bench/floor and bench/floorhttp with $(GO).
bench: build
	$(GO) run ./bench -podinit bin/podinit -go $(GO) -o bench/RESULTS.md

clean:
	rm -rf bin
