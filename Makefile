# The only entry points a newcomer needs (see README.md). meson does the real
# work; these targets install what is missing, build, and drive the harness.
# BUILD names the build directory (tools/*.sh read it from the environment).
BUILD ?= build
export BUILD
MESON_SETUP = meson setup $(BUILD)

.PHONY: all deps build install demo demo-down test bench fuzz format clean

all: build

deps:
	@tools/deps.sh

build: deps
	@[ -f $(BUILD)/build.ninja ] || $(MESON_SETUP) >/dev/null
	@ninja -C $(BUILD)

# Installs under the build's prefix (meson's default /usr/local). PREFIX=/usr
# first sets the prefix of $(BUILD) (the themes' path is compiled in);
# DESTDIR=D stages the files under D, for a package.
install: build
	@$(if $(PREFIX),meson configure $(BUILD) -Dprefix=$(PREFIX) >/dev/null && ninja -C $(BUILD) >/dev/null)
	@$(if $(DESTDIR),DESTDIR=$(abspath $(DESTDIR)) )meson install -C $(BUILD) --no-rebuild --quiet

demo: build
	@tools/demo.sh up

demo-down:
	@tools/demo.sh down

test: build
	@tools/deps.sh --fuzz --format --test
	@tools/test.sh

# The fuzz suite alone: corpus replays, then each libFuzzer target for
# DD_FUZZ_SECONDS (10 by default) in a clang build.
fuzz: build
	@tools/deps.sh --fuzz
	@tools/test.sh --suite fuzz

bench: build
	@tools/deps.sh --bench
	@tools/bench.sh

# Reformats every tracked .c/.h file; `make test` (suite format) checks it.
format:
	@tools/deps.sh --format
	@tools/format-check.sh --fix

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz $(BUILD)-tsan
