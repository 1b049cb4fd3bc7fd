# Two entry points for a fresh machine: `make train` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# On a machine without a GPU this resolves to a CPU wheel; on a machine with CUDA, to the CUDA build.
TORCH ?= torch==2.13.0
# Every other package at the version CI tested (Python 3.11; `make lock` regenerates both files, torch excluded).
LOCK ?= requirements/dev.lock
# One stamp per lock file: switching locks, or a changed lock, reinstalls.
STAMP := $(VENV)/.installed-$(basename $(notdir $(LOCK)))

.PHONY: setup train test lint lock bench clean video-deps

setup: $(STAMP)

# torch first, so the lock (which leaves torch out) never replaces it.
$(STAMP): $(LOCK) pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

train: setup
	$(PY) cleanppo/ppo_warp.py $(ARGS)

# CI has 20 minutes on 2 cores: one pytest-xdist worker per core (at most 4: each holds torch, Warp and its kernels),
# the 25 slowest tests listed at the end. PYTEST_ARGS=--durations=25 runs them in one process.
PYTEST_ARGS ?= -n auto --maxprocesses 4 --durations=25
test: setup
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: setup
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

# Needs uv (`pip install uv`). The peers lock (make setup LOCK=requirements/peers.lock) adds the libraries that
# benchmarks/ and `throughput.py peers` measure beside this repo.
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --override requirements/no-torch.txt \
		--custom-compile-command "make lock" -q -o requirements/dev.lock
	uv pip compile pyproject.toml --extra dev --extra peers --python-version 3.11 \
		--override requirements/no-torch.txt --custom-compile-command "make lock" -q -o requirements/peers.lock

# Headless OpenGL for MuJoCo's renderer (envs/video.py: videos of MJCF envs; cartpole and pendulum need none).
# EGL: libegl1 + libopengl0 (the GLVND dispatch libraries MuJoCo/PyOpenGL load), libegl-mesa0 (Mesa's EGL,
# surfaceless on machines without a GPU driver) and libgl1-mesa-dri (its llvmpipe software rasterizer). OSMesa,
# the fallback: libosmesa6. Debian/Ubuntu package names; run as root or with sudo.
SUDO ?= $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Installed only when missing (dpkg -s), so CI on a machine that has them spends no time here.
GL_PACKAGES := libegl1 libopengl0 libegl-mesa0 libgl1-mesa-dri libosmesa6
video-deps:
	dpkg -s $(GL_PACKAGES) >/dev/null 2>&1 || \
		($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends $(GL_PACKAGES))

clean:
	rm -rf $(VENV) runs
