# SPDX-License-Identifier: MIT
# hostfit: build, test, install.  `make V=1` shows the commands.
# Dependencies come from pkg-config; `make deps` installs them on Debian.

PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
DATADIR     ?= $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man
DOCDIR      ?= $(DATADIR)/doc/hostfit
# bash-completion's directory under PREFIX (its .pc file says where), else the usual one.
BASHCOMPDIR ?= $(or $(shell pkg-config --define-variable=datadir=$(DATADIR) --variable=completionsdir bash-completion 2>/dev/null),$(DATADIR)/bash-completion/completions)
ZSHCOMPDIR  ?= $(DATADIR)/zsh/site-functions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d
# journald's catalogue: /usr/lib/systemd/catalog for PREFIX=/usr (journalctl reads /usr/local/lib too).
CATALOGDIR  ?= $(PREFIX)/lib/systemd/catalog
# systemd's vendor unit directory for hostfit's own units (the metrics timer and the
# health probe templates), filled in for BINDIR; empty: none installed (the Debian
# package sets it; hostfit fix writes its units to /etc/systemd/system itself).
UNITDIR     ?=
DESTDIR     ?=
BUILD       ?= build
VERSION     ?= $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKGS        := mount blkid libsystemd libmd json-c
DEB_PKGS    := build-essential pkg-config libmount-dev libblkid-dev libsystemd-dev libmd-dev libjson-c-dev \
               libcmocka-dev util-linux e2fsprogs tmux valgrind jq strace clang libclang-rt-dev python3 \
               debhelper dpkg-dev fakeroot

CC          ?= cc
CFLAGS      ?= -O2 -g
WARN        := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter \
               -Wmissing-prototypes -Wstrict-prototypes -Wvla
SAN         ?=
ifeq ($(SAN),1)
CFLAGS      := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS     += -fsanitize=address,undefined
BUILD       := build-san
endif
CPPFLAGS    += -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DHOSTFIT_VERSION='"$(VERSION)"' -I. -Ilib -Ichecks -Ifixes -I$(BUILD)
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)
ALL_CFLAGS   = $(CPPFLAGS) $(PKG_CFLAGS) -std=gnu11 $(WARN) $(CFLAGS) -MMD -MP

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC     := $(sort $(wildcard lib/*/*.c checks/*.c fixes/*.c))
CMD_SRC     := $(sort $(wildcard cmd/*.c))
TEMPLATES   := $(sort $(wildcard templates/*))
LIB_OBJ     := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/templates.o
CMD_OBJ     := $(CMD_SRC:%.c=$(BUILD)/%.o)
CMD_LIBOBJ  := $(filter-out $(BUILD)/cmd/main.o,$(CMD_OBJ))
TEST_SRC    := $(sort $(wildcard tests/unit/test-*.c))
TEST_BIN    := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_HELPER := $(BUILD)/tests/fixture.o

.PHONY: FORCE deb all deps test-deps cross-deps test-pkg run test test-unit unit-bins test-cross test-cli test-live test-system test-san test-faults fuzz bench install uninstall clean
all: $(BUILD)/hostfit

$(BUILD)/hostfit: $(CMD_OBJ) $(LIB_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/templates.c: tools/embed-templates.sh $(TEMPLATES)
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	$(Q)sh tools/embed-templates.sh $(TEMPLATES) > $@.tmp && mv $@.tmp $@

$(BUILD)/templates.o: $(BUILD)/templates.c
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/fixture.o: tests/unit/fixture.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/test-%: tests/unit/test-%.c $(TEST_HELPER) $(LIB_OBJ) $(CMD_LIBOBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(TEST_HELPER) $(LIB_OBJ) $(CMD_LIBOBJ) $(PKG_LIBS) $(CMOCKA_LIBS) -lm

# The unit model alone, for the differential system test against systemd (internal).
$(BUILD)/tests/unitdump: tests/tools/unitdump.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(PKG_LIBS) -lm

# The Debian packages every test layer needs: the build's, then each layer's list.
TEST_PKGS    = $(DEB_PKGS) $(shell cat tests/cli/packages tests/pkg/packages tests/system/packages tests/live/packages 2>/dev/null | sed 's/\#.*//')
# make test-cross's: the cross toolchains and emulators for CROSS_ARCHES.  Their
# libraries come from tests/cross/sysroot.sh, which runs apt on a private state:
# dpkg's architectures stay the host's own (no dpkg --add-architecture).
CROSS_ARCHES ?= arm64 armhf
CROSS_LIBS   := $(filter-out libclang-rt-dev,$(filter lib%-dev,$(DEB_PKGS)))
CROSS_PKGS    = $(shell sed 's/\#.*//' tests/cross/packages)

deps: PKGS_WANTED = $(DEB_PKGS)
test-deps: PKGS_WANTED = $(TEST_PKGS) $(CROSS_PKGS)
cross-deps: PKGS_WANTED = $(CROSS_PKGS)
deps test-deps cross-deps:
	@missing=$$(for p in $(PKGS_WANTED); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		if [ "$$(id -u)" -ne 0 ]; then echo "make deps: need root to install $$missing" >&2; exit 1; fi; \
		for try in 1 2 3; do DEBIAN_FRONTEND=noninteractive apt-get update -qq && break; sleep 10; done; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

run: deps
	$(MAKE) all
	./$(BUILD)/hostfit check; st=$$?; [ $$st -le 2 ]

# Every layer: unit (cmocka, fixture roots), CLI, live (root; skips otherwise),
# the same unit and CLI tests under ASan+UBSan, the packaging and consumer tests,
# and the system tests on a real systemd. Each prints "N passed, N failed".
# Every layer runs even when one before it failed; the status says if any did.
# The system layer spends most of its time waiting on its beds' systemd: it runs
# beside the layers after test-live (which turns swap on and off, as the system
# layer's clean-up does), its output kept in $(SYSTEM_LOG) and printed at the end.
# With TEST_JOBS above 1, the layers after test-live run in two lanes, each one
# layer at a time: TEST_LANE's layers (output kept in $(LANE_LOG), printed after
# the others') beside test-san and test-cross; tests/layers.sh runs them all.
# The lanes share no build directory (build-san, build-fuzz, build-ARCH; test-pkg
# builds the package and runs its autopkgtest in copies of the source without
# them), and test-pkg's install and removal of the package touches nothing the
# others read.
# The layers that compile (unit, live, fuzz) build TEST_JOBS files at a time;
# their tests run as before.  The others have nothing left to build, or build
# their own way (tests/cross runs make -j2; tests/pkg dpkg-buildpackage), or run
# two layers in one make (test-san: -j would interleave their output).
SYSTEM_LOG  := $(BUILD)/test-system.log
LANE_LOG    := $(BUILD)/test-lane.log
TEST_JOBS   ?= 2
TEST_LANE   := test-faults fuzz test-pkg
test: test-deps
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) all $(BUILD)/tests/unitdump
	+@MAKE="$(MAKE)" TEST_JOBS=$(TEST_JOBS) TEST_LANE="$(TEST_LANE)" SYSTEM_LOG=$(SYSTEM_LOG) \
		LANE_LOG=$(LANE_LOG) sh tests/layers.sh

# The real files of dphys-swapfile, zram-tools and zram-generator (tests/unit/pkgroots.sh).
PKGROOTS    := build/pkgroots

# The unit tests, and lib/'s include graph (tests/tools/check-includes.sh): no circle
# between its folders, nothing in it including cmd/, checks/ or fixes/.
test-unit: $(TEST_BIN)
	@sh tests/unit/pkgroots.sh $(PKGROOTS)
	@st=0; sh tests/tools/check-includes.sh >/dev/null && echo "includes: lib/ folders without a circle; lib/ includes no cmd/, checks/ or fixes/" || st=1; \
	HOSTFIT_PKGROOTS=$(PKGROOTS) sh tests/run-unit.sh $(TEST_BIN) || st=1; exit $$st

# The unit test binaries alone (tests/cross builds them for other architectures).
unit-bins: $(TEST_BIN)

# The unit and CLI layers cross-built for arm64 and armhf, run under qemu-user.
test-cross: cross-deps
	@CROSS_LIBS="$(CROSS_LIBS)" sh tests/cross/run.sh $(CROSS_ARCHES)

test-cli: $(BUILD)/hostfit
	@HOSTFIT=$(BUILD)/hostfit sh tests/cli/run.sh

# Live C tests: built like the unit tests, run by tests/live/*.sh as root.
LIVE_BIN    := $(BUILD)/tests/live-apply-swapon $(BUILD)/tests/live-proc-xdev

$(BUILD)/tests/live-%: tests/live/%.c $(TEST_HELPER) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(TEST_HELPER) $(LIB_OBJ) $(PKG_LIBS) $(CMOCKA_LIBS) -lm

test-live: $(BUILD)/hostfit $(LIVE_BIN)
	@HOSTFIT=$(BUILD)/hostfit sh tests/live/run.sh

# strace --inject over fix --yes --root: one syscall fails per run (tests/faults/run.py).
test-faults: $(BUILD)/hostfit
	@HOSTFIT=$(BUILD)/hostfit sh tests/faults/run.sh

# libFuzzer harnesses of the parsers of host bytes (tests/fuzz), built with clang
# under ASan+UBSan and run FUZZ_SECONDS each from their committed seed corpora.
FUZZ_SECONDS ?= 6
FUZZ_CC      ?= clang
FUZZ_BUILD   := build-fuzz
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_LIBOBJ  := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/templates.o
FUZZ_CFLAGS   = $(patsubst -I$(BUILD),-I$(FUZZ_BUILD),$(CPPFLAGS)) $(PKG_CFLAGS) -std=gnu11 -g -O1 \
                -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -MMD -MP

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (fuzz)"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/templates.c: tools/embed-templates.sh $(TEMPLATES)
	@mkdir -p $(dir $@)
	$(Q)sh tools/embed-templates.sh $(TEMPLATES) > $@.tmp && mv $@.tmp $@

$(FUZZ_BUILD)/templates.o: $(FUZZ_BUILD)/templates.c
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzz.h $(FUZZ_LIBOBJ)
	@echo "  LD      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/fuzz -o $@ $< $(FUZZ_LIBOBJ) $(PKG_LIBS) -lm

.SECONDARY: $(FUZZ_LIBOBJ) $(FUZZ_BUILD)/templates.c

fuzz: $(FUZZ_BIN)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh $(FUZZ_BIN)

# The same unit and CLI tests under AddressSanitizer and UBSan.
test-san:
	$(MAKE) SAN=1 test-unit test-cli

test-pkg: $(BUILD)/hostfit
	@HOSTFIT=$(BUILD)/hostfit sh tests/pkg/run.sh

test-system: $(BUILD)/hostfit $(BUILD)/tests/unitdump
	@HOSTFIT=$(BUILD)/hostfit sh tests/system/run.sh

bench: $(BUILD)/hostfit
	@HOSTFIT=$(BUILD)/hostfit sh tests/bench/run.sh

# Documentation and examples: never installed into /etc (hostfit fix and the
# admin own that); hostfit.conf.example is to copy from.
DOC_FILES   := docs/hostfit.conf.example docs/usage.md \
               docs/hostfit-check.schema.json docs/hostfit-fix.schema.json docs/hostfit-incidents.schema.json \
               docs/hostfit-history.schema.json docs/hostfit-list.schema.json
EXAMPLES    := docs/cloud-init.yaml $(BUILD)/examples/hostfit-check.service templates/hostfit-check.timer \
               docs/prometheus/hostfit.rules.yml
ANSIBLE     := docs/ansible/hostfit.yml docs/ansible/inventory.example
# The example service: its template with the default [metrics] path, quoted as
# hostfit fix metrics-timer writes it (the same bytes, so the check passes on a copy).
METRICS_PROM := /var/lib/prometheus/node-exporter/hostfit.prom

# It runs $(BINDIR)/hostfit: remade when BINDIR changes (make, then make install PREFIX=/usr).
$(BUILD)/examples/.bindir: FORCE
	@mkdir -p $(dir $@)
	@echo '$(BINDIR)' | cmp -s - $@ || echo '$(BINDIR)' > $@

$(BUILD)/examples/hostfit-check.service: templates/hostfit-check.service Makefile $(BUILD)/examples/.bindir
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	$(Q)sed -e 's|{{hostfit}}|"$(BINDIR)/hostfit"|g' -e 's|{{path}}|"$(METRICS_PROM)"|g' -e 's|{{dir}}|"$(patsubst %/,%,$(dir $(METRICS_PROM)))"|g' \
		$< > $@.tmp && mv $@.tmp $@

# hostfit's units for UNITDIR, as hostfit fix writes them with the default settings.
UNITS       := hostfit-check.service hostfit-check.timer hostfit-health@.service hostfit-health@.timer
$(BUILD)/units/%: templates/% Makefile $(BUILD)/examples/.bindir
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	$(Q)sed -e 's|{{hostfit}}|"$(BINDIR)/hostfit"|g' -e 's|{{path}}|"$(METRICS_PROM)"|g' \
		-e 's|{{dir}}|"$(patsubst %/,%,$(dir $(METRICS_PROM)))"|g' \
		-e 's|{{exec_start}}|"$(BINDIR)/hostfit" probe|g' \
		-e 's|{{probe_args}}| --timeout 5s --failures 3 --max-restarts 3|g' -e 's|{{interval}}|30s|g' \
		$< > $@.tmp
	$(Q)grep -q '^Documentation=' $@.tmp || sed -i '/^Description=/a Documentation=man:hostfit(1)' $@.tmp
	$(Q)mv $@.tmp $@

install: $(BUILD)/hostfit $(BUILD)/examples/hostfit-check.service $(if $(UNITDIR),$(UNITS:%=$(BUILD)/units/%))
	install -D -m 0755 $(BUILD)/hostfit $(DESTDIR)$(BINDIR)/hostfit
	install -D -m 0644 docs/hostfit.1 $(DESTDIR)$(MANDIR)/man1/hostfit.1
	install -D -m 0644 docs/hostfit.catalog $(DESTDIR)$(CATALOGDIR)/hostfit.catalog
	install -D -m 0644 docs/hostfit.conf.5 $(DESTDIR)$(MANDIR)/man5/hostfit.conf.5
	install -D -m 0644 completions/hostfit.bash $(DESTDIR)$(BASHCOMPDIR)/hostfit
	install -D -m 0644 completions/_hostfit $(DESTDIR)$(ZSHCOMPDIR)/_hostfit
	install -D -m 0644 completions/hostfit.fish $(DESTDIR)$(FISHCOMPDIR)/hostfit.fish
	install -d -m 0755 $(DESTDIR)$(DOCDIR)/examples/ansible
	install -m 0644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 $(ANSIBLE) $(DESTDIR)$(DOCDIR)/examples/ansible/
ifneq ($(UNITDIR),)
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	install -m 0644 $(UNITS:%=$(BUILD)/units/%) $(DESTDIR)$(UNITDIR)/
endif

# The Debian package, built from a copy of the tree in $(BUILD)/deb (dpkg-buildpackage
# writes next to the source): $(BUILD)/deb/hostfit_VERSION_ARCH.deb. `make deps` first.
deb:
	@rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/hostfit-$(VERSION)
	$(Q)tar --exclude=./build --exclude=./build-san --exclude=./build-fuzz --exclude='./build-*' --exclude=./.git -cf - . | \
		tar -xf - -C $(BUILD)/deb/hostfit-$(VERSION)
	$(Q)cd $(BUILD)/deb/hostfit-$(VERSION) && dpkg-buildpackage -us -uc -b
	@ls $(BUILD)/deb/*.deb

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/hostfit
	rm -f $(DESTDIR)$(MANDIR)/man1/hostfit.1
	rm -f $(DESTDIR)$(CATALOGDIR)/hostfit.catalog
	rm -f $(DESTDIR)$(MANDIR)/man5/hostfit.conf.5
	rm -f $(DESTDIR)$(BASHCOMPDIR)/hostfit
	rm -f $(DESTDIR)$(ZSHCOMPDIR)/_hostfit
	rm -f $(DESTDIR)$(FISHCOMPDIR)/hostfit.fish
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOC_FILES)))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(notdir $(EXAMPLES)))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/examples/ansible/,$(notdir $(ANSIBLE)))
	$(if $(UNITDIR),rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)))
	rmdir $(DESTDIR)$(DOCDIR)/examples/ansible $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -rf build build-san build-fuzz build-arm64 build-armhf build-arm64.log build-armhf.log build-cross

-include $(shell find $(BUILD) -path $(BUILD)/tools -prune -o -name '*.d' -type f -print 2>/dev/null)
# The fuzz build's dependencies, only where it is built: test-san and test-cross run
# while the fuzz layer's compiler may be writing them.
ifneq ($(filter fuzz $(FUZZ_BUILD)/%,$(MAKECMDGOALS)),)
-include $(shell find $(FUZZ_BUILD) -name '*.d' -type f 2>/dev/null)
endif
