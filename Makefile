# kgtop developer entry points. `make help` lists them; docs/DEVELOPING.md explains them.
#
# Every target that builds or tests runs scripts/bootstrap.sh first: it installs what is missing
# (Debian packages, the .venv with the test peers) and is a fast no-op when all is present.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.PHONY: help bootstrap build test demo fuzz bench soak clean distclean install uninstall

ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
SWIFT ?= swift
# Flags for every build and run, kept identical so `swift run` reuses the build; `swift test` runs
# with --skip-build what `swift build --build-tests` just built with them.
SWIFT_BUILD_FLAGS ?= -Xswiftc -warnings-as-errors
# Extra flags for `swift test`. XCTest runs serially by default (no --parallel worker processes);
# Swift Testing runs tests concurrently inside one process on the machine's cores (2 here), which
# is the sensible limit. Use e.g. SWIFT_TEST_FLAGS='--no-parallel' or '--filter Wire' to narrow.
SWIFT_TEST_FLAGS ?=

# Where the tests find their peers (see scripts/peers.sh): always this clone's own .venv.
export KGTOP_VENV := $(ROOT)/.venv
export KGTOP_RDKAFKA216_DIR := $(KGTOP_VENV)/rdkafka216
export KGTOP_TANSU := $(KGTOP_VENV)/peers/tansu
# ../shared (fixtures, message specs, peer notes) sits beside the clone; exported only when present.
SHARED_DIR := $(abspath $(ROOT)/../shared)
ifneq ($(wildcard $(SHARED_DIR)/.),)
export KGTOP_SHARED := $(SHARED_DIR)
else
unexport KGTOP_SHARED
endif

help:
	@echo "make demo       bootstrap, build, run kgtop demo (the dashboard on an embedded simulated cluster)"
	@echo "make test       bootstrap, build with warnings as errors, swift test, ProtocolGen --check"
	@echo "make build      bootstrap, swift build $(SWIFT_BUILD_FLAGS)"
	@echo "make bootstrap  install what is missing (apt packages, .venv test peers)"
	@echo "make fuzz|bench|soak   run scripts/<name>.sh when it exists"
	@echo "make clean      remove build folders; make distclean also removes .venv"
	@echo "make install [PREFIX=/usr/local] [DESTDIR=]   release build; installs bin/kgtop, completions, man page"
	@echo "make uninstall [PREFIX=/usr/local] [DESTDIR=] removes what make install installed"

bootstrap:
	@bash "$(ROOT)/scripts/bootstrap.sh"

build: bootstrap
	@echo "==> swift build $(SWIFT_BUILD_FLAGS)"
	@$(SWIFT) build $(SWIFT_BUILD_FLAGS)

test: bootstrap
	@echo "==> peers: KGTOP_VENV=$(KGTOP_VENV) KGTOP_TANSU=$(KGTOP_TANSU) KGTOP_RDKAFKA216_DIR=$(KGTOP_RDKAFKA216_DIR) KGTOP_SHARED=$(or $(KGTOP_SHARED),<absent>)"
	@echo "==> swift build $(SWIFT_BUILD_FLAGS) --build-tests"
	@$(SWIFT) build $(SWIFT_BUILD_FLAGS) --build-tests
	@echo "==> swift test --skip-build $(SWIFT_TEST_FLAGS)"
	@$(SWIFT) test --skip-build $(SWIFT_TEST_FLAGS)
	@if [[ -d "$(SHARED_DIR)/kafka-message-specs" ]]; then \
	    echo "==> swift run $(SWIFT_BUILD_FLAGS) ProtocolGen --check"; \
	    $(SWIFT) run $(SWIFT_BUILD_FLAGS) ProtocolGen --check; \
	elif [[ "$${CI:-}" == "true" ]]; then \
	    echo "==> ProtocolGen --check: $(SHARED_DIR)/kafka-message-specs is absent, and CI always has it" >&2; \
	    exit 1; \
	else \
	    echo "==> ProtocolGen --check skipped: $(SHARED_DIR)/kafka-message-specs is absent"; \
	fi
	@echo "==> scripts/e2e-tui.sh (kgtop demo in tmux: views, keys, resize, terminal restore)"
	@bash "$(ROOT)/scripts/e2e-tui.sh" "$$($(SWIFT) build $(SWIFT_BUILD_FLAGS) --show-bin-path)/kgtop"
	@echo "==> make test: all steps passed"

demo: bootstrap
	@echo "==> swift build $(SWIFT_BUILD_FLAGS) --product kgtop"
	@$(SWIFT) build $(SWIFT_BUILD_FLAGS) --product kgtop
	@echo "==> kgtop demo (q quits, ? shows the keys)"
	@exec "$$($(SWIFT) build $(SWIFT_BUILD_FLAGS) --show-bin-path)/kgtop" demo

fuzz bench soak: bootstrap
	@if [[ -f "$(ROOT)/scripts/$@.sh" ]]; then \
	    echo "==> scripts/$@.sh"; \
	    bash "$(ROOT)/scripts/$@.sh"; \
	else \
	    echo "make $@: not built yet (scripts/$@.sh does not exist)"; \
	fi

# install / uninstall: scripts/install.sh (layout and options in its header; README "Install").
# No bootstrap: a packaging build needs the build dependencies only (make bootstrap installs them).
PREFIX ?= /usr/local
DESTDIR ?=

install:
	@bash "$(ROOT)/scripts/install.sh" --prefix "$(PREFIX)" --destdir "$(DESTDIR)"

uninstall:
	@bash "$(ROOT)/scripts/install.sh" --uninstall --prefix "$(PREFIX)" --destdir "$(DESTDIR)"

clean:
	rm -rf "$(ROOT)/.build" "$(ROOT)"/.build-* "$(ROOT)"/.build_*

distclean: clean
	rm -rf "$(ROOT)/.venv"
