# Xuala Desk — `make run` and `make test` set up whatever is missing, then act.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test bench lint venv messages clean browser imapserver wsatools

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + ")")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: venv
	$(BIN)/xuala migrate --noinput
	$(BIN)/xuala demo --if-empty
	$(if $(SMTP),XUALA_SMTP_LISTEN=$(SMTP) ,)$(BIN)/xuala run $(if $(BIND),--bind $(BIND),)

test: venv browser imapserver wsatools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: venv
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check xuala tests bench || true

# Debian's Chromium for the browser tests (Playwright drives it; browser downloads do not work here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null || \
	  echo "WARNING: could not install chromium; browser tests will fail"; }

# Debian's dovecot for the IMAP intake tests (tests/intake/dovecot.py starts a private instance).
imapserver:
	@command -v dovecot >/dev/null 2>&1 || test -x /usr/sbin/dovecot || { \
	  echo "Installing Debian's dovecot-imapd for the IMAP tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq dovecot-imapd >/dev/null || \
	  echo "WARNING: could not install dovecot-imapd; IMAP tests will fail"; \
	  $$SUDO systemctl disable --now dovecot >/dev/null 2>&1 || true; }

# Debian packages the plan services' tests and benches need: WordPress and its theme (the clean
# tree of the audit, the site the anti-spam plugin runs in), yara and clamav (the scanner's
# peers), the MariaDB client and PHP with its MySQL driver, nginx and nftables (the block-list
# exports are parsed by them), SpamAssassin (the anti-spam bench's peer).
WSA_PACKAGES := wordpress wordpress-theme-twentytwentythree yara clamav mariadb-client php-cli \
                php-mysql nginx nftables spamassassin spamc
wsatools:
	@missing=; for p in $(WSA_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	test -z "$$missing" || { \
	  echo "Installing Debian's$$missing for the Website Security Audit"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null || \
	  echo "WARNING: could not install$$missing; WSA tests will fail"; }

messages: venv
	cd xuala && ../$(BIN)/xuala makemessages -l es -l en --no-obsolete && ../$(BIN)/xuala compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache
