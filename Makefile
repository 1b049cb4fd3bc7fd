# Two entry points for a fresh machine: `make train` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# On a machine without a GPU this resolves to a CPU wheel; on a machine with CUDA, to the CUDA build.
TORCH ?= torch==2.13.0

.PHONY: setup train test lint bench clean video-deps

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

train: setup
	$(PY) cleanppo/ppo_warp.py $(ARGS)

test: setup
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: setup
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

# Headless OpenGL for MuJoCo's renderer (envs/video.py: videos of MJCF envs; cartpole and pendulum need none).
# EGL: libegl1 + libopengl0 (the GLVND dispatch libraries MuJoCo/PyOpenGL load), libegl-mesa0 (Mesa's EGL,
# surfaceless on machines without a GPU driver) and libgl1-mesa-dri (its llvmpipe software rasterizer). OSMesa,
# the fallback: libosmesa6. Debian/Ubuntu package names; run as root or with sudo.
SUDO ?= $(shell [ "$$(id -u)" = 0 ] || echo sudo)
video-deps:
	$(SUDO) apt-get update
	$(SUDO) apt-get install -y --no-install-recommends libegl1 libopengl0 libegl-mesa0 libgl1-mesa-dri libosmesa6

clean:
	rm -rf $(VENV) runs
