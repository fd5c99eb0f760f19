# Thin facade over CMake: `make run` and `make test` are the two commands a new user needs.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
DEMO_DIR ?= out/demo

.PHONY: all deps build run test bench clean

all: build

deps:
	@bash scripts/setup-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Generates a small synthetic face video, runs the facemap stage on it and shows the result.
run: build
	@bash scripts/demo.sh $(BUILD_DIR)/ethovid $(DEMO_DIR)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

bench: build
	@bash bench/run_all.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) out
