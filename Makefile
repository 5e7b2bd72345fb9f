# The two set-up commands in README.md are `make train` and `make test`; every target below installs
# and builds what it needs first, so both work on a fresh machine.
SHELL := /bin/bash
NODE_STAMP := node_modules/.install-stamp
BUILD_STAMP := dist/.build-stamp
SOURCES := $(shell find src -name '*.ts' 2>/dev/null)

.PHONY: all install build native train test test-unit test-e2e test-webgpu lint format typecheck bench clean doctor
ADDON := native/build/Release/onednn_addon.node

all: build

# npm ci only when package-lock.json changed since the last install.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(NODE_STAMP)

# The native backend is optional: without root or apt the script says how to get it and carries on.
$(ADDON): $(NODE_STAMP) native/binding.gyp $(wildcard native/src/*)
	scripts/build-native.sh

native: $(ADDON)

$(BUILD_STAMP): $(NODE_STAMP) $(ADDON) $(SOURCES) tsconfig.json tsconfig.build.json
	npx tsc -p tsconfig.build.json
	@chmod +x dist/cli/main.js
	@touch $@

build: $(BUILD_STAMP)

train: build
	node dist/cli/main.js configs/cnn.yaml

# Both suites, as CI runs them. The unit suite needs no build (vitest runs the sources); the e2e
# suite spawns the built CLI.
test: build
	scripts/ensure-vulkan.sh
	scripts/ensure-redis.sh
	npm test

# The inner loop: seconds, no build.
test-unit: native
	scripts/ensure-redis.sh
	npm run test:unit

test-e2e: build
	scripts/ensure-chromium.sh
	scripts/ensure-redis.sh
	npm run test:e2e

# The webgpu backend on SwiftShader (Debian's chromium ships it; libvulkan1 loads it).
test-webgpu: build
	scripts/ensure-vulkan.sh
	npm run test:webgpu

# Biome (TypeScript: format, lint, import order) and clang-format (native/); `make format` fixes.
lint: $(NODE_STAMP)
	scripts/ensure-clang-format.sh
	npm run --silent lint

format: $(NODE_STAMP)
	scripts/ensure-clang-format.sh
	npm run --silent format

# src/, test/ and bench/ with the strict flags; emits nothing.
typecheck: $(NODE_STAMP)
	npx tsc -p tsconfig.json

doctor: build
	node dist/cli/main.js doctor

bench: build
	node dist/cli/main.js bench

# mnist-run beside PyTorch per config (bench/vs-pytorch.ts; PyTorch optional): bench/results/vs-pytorch.json.
.PHONY: bench-vs-pytorch
bench-vs-pytorch: build
	npx vite-node bench/vs-pytorch.ts

clean:
	rm -rf dist native/build

# The project on a real GPU (README.md, "Training on a GPU"). `make device-pack` here, with network:
# .device/ holds Node, the bundled CLI, Dawn, MNIST and the Vulkan loader. `make device-check` on the
# GPU machine (no network, no Node; carry .device with the working tree) runs the checks and writes
# $(DEVICE_OUT)/device-check.json; SOFTWARE=1 rehearses it on SwiftShader. Figures: bench/results/.
.PHONY: device-pack device-check
DEVICE_OUT ?= .device/out

device-pack:
	scripts/device-check.sh pack

device-check:
	scripts/device-check.sh run $(if $(SOFTWARE),--software) $(DEVICE_OUT)
