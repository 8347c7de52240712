# The two commands of the README, and the pieces they are made of.
#   make demo   set up, train a model on the default corpus for a few minutes, play and inspect it
#   make test   set up and run the whole test suite (what CI runs)
SWIFT_RELEASE = swift build -c release
BIN = .build/release
PREFIX ?= /usr/local

.PHONY: deps build test demo bench install install-files uninstall clean usage

deps:
	@bash Tools/install-deps.sh

build: deps
	$(SWIFT_RELEASE)

# Tests train models, so they run in release with testing enabled. Afterwards the programs just
# built are installed into a temporary prefix and run from there.
test: deps
	swift build -c release -Xswiftc -enable-testing
	swift test -c release -Xswiftc -enable-testing
	@prefix=$$(mktemp -d) && $(MAKE) --no-print-directory install-files PREFIX=$$prefix && \
		for p in $(PROGRAMS); do $$prefix/bin/$$p --version >/dev/null || exit 1; \
		test -s $$prefix/share/bash-completion/completions/$$p || exit 1; done && \
		rm -rf $$prefix && echo "install check: the three programs install and run"

demo: build
	@bash Tools/demo.sh

bench: build
	@bash Tools/bench.sh

# docs/usage.md, the command-line reference, from the programs' --help (a test checks it is current).
usage: build
	@bash Tools/usage.sh > docs/usage.md

# The three programs into $(PREFIX)/bin, with bash, zsh and fish completions.
PROGRAMS = rnn-train rnn-play rnn-inspect
install: build install-files

install-files:
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	for p in $(PROGRAMS); do \
		install -m 755 $(BIN)/$$p $(DESTDIR)$(PREFIX)/bin/$$p && \
		$(BIN)/$$p --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$p && \
		$(BIN)/$$p --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_$$p && \
		$(BIN)/$$p --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$$p.fish || exit 1; \
	done
	@echo "installed $(PROGRAMS) in $(DESTDIR)$(PREFIX)/bin"

uninstall:
	for p in $(PROGRAMS); do \
		rm -f $(DESTDIR)$(PREFIX)/bin/$$p $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$p \
			$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_$$p $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$$p.fish; \
	done

clean:
	rm -rf .build
