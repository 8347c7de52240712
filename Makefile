# The two commands of the README, and the pieces they are made of.
#   make demo   set up, train a model on the default corpus for a few minutes, play and inspect it
#   make test   set up and run the whole test suite (what CI runs)
SWIFT_RELEASE = swift build -c release
BIN = .build/release
PREFIX ?= /usr/local

.PHONY: deps build test demo bench clean

deps:
	@bash Tools/install-deps.sh

build: deps
	$(SWIFT_RELEASE)

# Tests train models, so they run in release with testing enabled.
test: deps
	swift build -c release -Xswiftc -enable-testing
	swift test -c release -Xswiftc -enable-testing

demo: build
	@bash Tools/demo.sh

bench: build
	@bash Tools/bench.sh

clean:
	rm -rf .build
