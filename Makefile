# podinit: `make demo` shows it at work, `make test` runs every test.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build demo test race lint bench clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/podinit ./cmd/podinit

demo: build
	$(GO) run ./demo

lint:
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

test: build lint
	$(GO) test -race -count=1 -timeout 10m ./...
	$(GO) test -run '^$$' -fuzz FuzzParseStep -fuzztime 10s ./hooks
	$(GO) test -run '^$$' -fuzz FuzzReadPlanFile -fuzztime 10s ./hooks

# The black-box tests again, with podinit itself built with the race detector.
race:
	PODINIT_TEST_RACE=1 $(GO) test -race -count=1 -timeout 15m ./cmd/podinit

bench: build
	$(GO) run ./bench -podinit bin/podinit

clean:
	rm -rf bin
