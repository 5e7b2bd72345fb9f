# The two set-up commands in README.md are `make train` and `make test`; every target below installs
# and builds what it needs first, so both work on a fresh machine.
SHELL := /bin/bash
NODE_STAMP := node_modules/.install-stamp
BUILD_STAMP := dist/.build-stamp
SOURCES := $(shell find src -name '*.ts' 2>/dev/null)

.PHONY: all install build native train test bench clean doctor
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

$(BUILD_STAMP): $(NODE_STAMP) $(ADDON) $(SOURCES) tsconfig.json
	npx tsc -p tsconfig.json
	@chmod +x dist/cli/main.js
	@touch $@

build: $(BUILD_STAMP)

train: build
	node dist/cli/main.js configs/cnn.yaml

test: build
	scripts/ensure-chromium.sh
	npx vitest run

doctor: build
	node dist/cli/main.js doctor

bench: build
	node dist/cli/main.js bench

clean:
	rm -rf dist native/build
