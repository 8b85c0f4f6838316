# LiTSKit: `make demo` (set-up, release build, sample case, run) and `make test`;
# `make check` (CI, after `make test`): the notebooks and the committed EDA report against a fresh run.
SHELL := /bin/bash
APT_PACKAGES := libnifti2-dev libdeflate0 libpng-dev libopenblas-dev libcairo2-dev fonts-dejavu-core gnuplot-nox pkg-config zlib1g-dev python3 python3-pip openmpi-bin libopenmpi-dev libgdcm-dev
# Build folder of the release binary; `make check SCRATCH=.build-x` builds and checks in another one.
SCRATCH := .build
LITS := $(SCRATCH)/release/lits
SAMPLE := data/sample
EDA_TITLE := EDA of the sample case (LiTS 117, 2x downsampled, spacing assumed 1.5 mm)
CHECK_OUT := out/check
DEMO_TRAIN := --recipe baseline --sampling liver-biased --patch 96,96,16 --filters 8,16,32,64 --volumes-per-batch 1 --patches-per-volume 2 \
  --epochs 6 --batches-per-epoch 10 --overlap 0.25 --lr 0.003

.PHONY: setup build release test demo sample bench reports check check-notebooks check-reports check-sample-tests check-nnunet check-python wheel fuzz clean install uninstall

# Installs the Debian packages that are missing (idempotent; needs root or sudo).
setup:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends $$missing; \
	fi

build: setup
	swift build

release: setup
	swift build -c release --product lits --scratch-path $(SCRATCH)

# XCTest only (there are no swift-testing tests); the last line is a plain summary.
test: setup
	@mkdir -p .build
	@# LITSKIT_KERNEL_SHAPES=fixed: the suite never times kernel shapes (nor writes their cache in ~/.cache);
	@# KernelShapeTests pin every shape against the reference instead.
	@set -o pipefail; LITSKIT_KERNEL_SHAPES=fixed swift test --disable-swift-testing 2>&1 | tee .build/test.log; status=$$?; \
	  scripts/test_summary.sh .build/test.log; exit $$status

sample: release
	scripts/fetch_sample.sh $(LITS) $(SAMPLE)

# `make demo` writes every output under out/ (and the run under runs/sample; both git-ignored), so the
# clone stays clean; `make reports` runs the same command lines into reports/, the committed reports.
DEMO_REPORTS := out
demo: sample
	$(LITS) info $(SAMPLE)
	$(LITS) preprocess $(SAMPLE) --out out/sample-preprocessed
	$(LITS) eda $(SAMPLE) --out $(DEMO_REPORTS)/sample-eda --title "$(EDA_TITLE)"
	$(LITS) preview $(SAMPLE) --out $(DEMO_REPORTS)/sample-preview
	@# About 20 s of CPU training: one case cannot show generalisation, only that the pipeline learns.
	rm -rf runs/sample
	$(LITS) train out/sample-preprocessed --out runs/sample $(DEMO_TRAIN)
	$(LITS) predict --run runs/sample $(SAMPLE) --out out/sample-prediction
	$(LITS) evaluate --pred out/sample-prediction --truth $(SAMPLE) --out $(DEMO_REPORTS)/sample-evaluation \
	  --title "Evaluation of the demo model on the case it was trained on (LiTS 117; not a generalisation result)"
	mkdir -p $(DEMO_REPORTS)/sample-training && cp -r runs/sample/index.md runs/sample/history.csv runs/sample/config.json \
	  runs/sample/figures runs/sample/charts $(DEMO_REPORTS)/sample-training/
	@echo "demo outputs: $(SAMPLE)/, out/sample-preprocessed/, runs/sample/, out/sample-prediction/, $(DEMO_REPORTS)/sample-{eda,preview,training,evaluation}/index.md"

# Regenerates the committed sample reports (reports/) with `make demo`'s command lines.
reports: sample
	rm -rf reports/sample-eda reports/sample-preview reports/sample-training reports/sample-evaluation
	$(MAKE) --no-print-directory demo DEMO_REPORTS=reports

# CI's checks on the sample case. Skipped with a "SKIPPED:" line (and success) only when PyPI
# cannot be reached to fetch the sample; every other failure fails.
check: release
	@rc=0; scripts/fetch_sample.sh $(LITS) $(SAMPLE) || rc=$$?; \
	if [ $$rc = 75 ]; then echo "SKIPPED: sample not reachable (PyPI download failed); notebook and report checks not run"; exit 0; fi; \
	[ $$rc = 0 ] || exit $$rc; \
	$(MAKE) --no-print-directory check-notebooks check-reports check-sample-tests check-python

# Fails when a stored output in notebooks-md/ differs from a fresh run (cells marked `sh varies`
# are run but not compared). The cells call `lits` from the PATH: the checking binary's folder comes first.
check-notebooks: sample
	$(LITS) notebook check notebooks-md/*.md

# Fails when the committed EDA and preview reports (data/, charts/, index.md; not the PNGs) differ
# from a fresh run with `make demo`'s command lines. The training and evaluation reports depend on
# trained weights (and so on the convolution's float rounding and thread count) and are not checked.
check-reports: sample
	rm -rf $(CHECK_OUT)/sample-eda $(CHECK_OUT)/sample-preview
	$(LITS) eda $(SAMPLE) --out $(CHECK_OUT)/sample-eda --title "$(EDA_TITLE)"
	$(LITS) preview $(SAMPLE) --out $(CHECK_OUT)/sample-preview
	scripts/check_report.sh reports/sample-eda $(CHECK_OUT)/sample-eda
	scripts/check_report.sh reports/sample-preview $(CHECK_OUT)/sample-preview

# The tests that need the sample (they skip in `make test` without it) must run, not skip, here.
check-sample-tests: sample
	@mkdir -p .build
	set -o pipefail; swift test --disable-swift-testing --filter testSampleCaseMatchesCC3D 2>&1 | tee .build/sample-tests.log
	@grep -q "testSampleCaseMatchesCC3D' passed" .build/sample-tests.log || \
	  { echo "check-sample-tests: testSampleCaseMatchesCC3D did not pass (skipped?)" >&2; exit 1; }

# nnU-Net's own verify_dataset_integrity on a `lits export nnunet` of phantom cases. Not in `check`:
# it needs nnunetv2 (torch, a large download): NNUNET_VENV is made with pip on first use.
NNUNET_VENV ?= /tmp/venv-nnunet
check-nnunet: build
	@[ -x $(NNUNET_VENV)/bin/python ] && $(NNUNET_VENV)/bin/python -c "import nnunetv2" 2>/dev/null || \
	  { python3 -m venv $(NNUNET_VENV) && $(NNUNET_VENV)/bin/pip install nnunetv2; }
	$(NNUNET_VENV)/bin/python scripts/check_nnunet_export.py .build/debug/lits

# libFuzzer targets for the parsers of user files (Fuzz/, scripts/fuzz.sh): each runs FUZZ_SECONDS;
# fails when any crashed (the inputs are kept in .build/fuzz/crashes/). `make fuzz FUZZ_TARGETS=npy`.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(shell scripts/fuzz.sh list)
fuzz: build
	@rc=0; for t in $(FUZZ_TARGETS); do scripts/fuzz.sh $$t $(FUZZ_SECONDS) || rc=1; done; exit $$rc

# The Python package (python/, docs/python.md): liblitskit.so and lits built with the Swift runtime
# linked in statically (in their own build folder), packed into dist/litskit-VERSION-py3-none-linux_x86_64.whl.
SWIFT_STATIC_LIBS = $(abspath $(dir $(realpath $(shell command -v swift)))../lib/swift_static/linux)
WHEEL_BUILD = swift build -c release --scratch-path .build/wheel --static-swift-stdlib -Xswiftc -static-stdlib \
  -Xlinker -L$(SWIFT_STATIC_LIBS)
wheel: setup
	$(WHEEL_BUILD) --product litskit
	$(WHEEL_BUILD) --product lits
	python3 scripts/build_wheel.py --lib .build/wheel/release/liblitskit.so --lits .build/wheel/release/lits --out dist

# The wheel installed in a fresh venv, its tests and notebooks/05-python.ipynb run with the Swift
# toolchain hidden (scripts/check_python.sh; the venv is made from PyPI in /tmp).
check-python: wheel sample
	scripts/check_python.sh

bench: setup
	swift build -c release --product lits-bench
	swift build -c release --product lits
	benchmarks/compare.sh
	benchmarks/regressions.sh

# `make install [PREFIX=/usr/local]`: the release binary, its shell completions (bash, zsh, fish, as
# ArgumentParser writes them) and the man page lits(1) from ArgumentParser's generate-manual plugin
# (which builds the package's products in release mode first). DESTDIR is honoured for packaging.
PREFIX ?= /usr/local
INSTALL_FILES := bin/lits share/man/man1/lits.1 share/bash-completion/completions/lits \
  share/zsh/site-functions/_lits share/fish/vendor_completions.d/lits.fish
install: release
	swift package --scratch-path $(SCRATCH) plugin generate-manual
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	  $(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(LITS) $(DESTDIR)$(PREFIX)/bin/lits
	install -m 644 $(SCRATCH)/plugins/GenerateManual/outputs/lits/lits.1 $(DESTDIR)$(PREFIX)/share/man/man1/lits.1
	$(LITS) --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/lits
	$(LITS) --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_lits
	$(LITS) --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/lits.fish
	@echo "installed: $(addprefix $(DESTDIR)$(PREFIX)/,$(INSTALL_FILES))"

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/,$(INSTALL_FILES))

clean:
	rm -rf .build out
