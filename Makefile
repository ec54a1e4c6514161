# keyward: make build | make test | make run
#
# Every target first installs what is missing (scripts/install-deps.sh).
# BUILD is the main g++ tree (binaries in build/bin); FUZZ_BUILD is a clang
# tree with libFuzzer, ASan and UBSan for the fuzz targets.

BUILD      ?= build
FUZZ_BUILD ?= build/fuzz
BUILD_TYPE ?= Release
JOBS       ?= $(shell nproc)

.PHONY: all deps build fuzz-build test unit-test interop-test fuzz-test bench run clean install

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DKW_WERROR=ON

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

$(FUZZ_BUILD)/build.ninja: | deps
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DKW_FUZZ=ON -DKW_WERROR=ON

fuzz-build: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

# Unit, interop (real OpenSSH) and corruption tests, then every fuzz target
# over its seed corpus under ASan/UBSan.
test: build fuzz-build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	cd $(FUZZ_BUILD) && ctest --output-on-failure -j $(JOBS)

unit-test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

interop-test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L interop

fuzz-test: fuzz-build
	cd $(FUZZ_BUILD) && ctest --output-on-failure -j $(JOBS)

# Benchmarks against the real tools (prints medians and ratios).
bench: build
	bash bench/run.sh $(BUILD)

# The key center on SQLite under ./var/, on 127.0.0.1:8180, in the foreground.
run: build
	@bash scripts/run-center.sh $(BUILD)

# Installs pam_keyward.so into the system's PAM module directory
# (/lib/x86_64-linux-gnu/security on Debian; cmake -DKW_PAM_DIR=... to change).
install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD)
