# mimic — one plain Makefile. `make` builds build/mimic; see README.md.
#   make check   install what is missing, build, run every test
#   make demo    install, build, fetch the default guest, boot it
#   make bench   side-by-side benchmarks against QEMU

CC       ?= gcc
BUILD    ?= build
PKGS     := zlib
CPPFLAGS := -Iinclude -I. -D_GNU_SOURCE
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -MMD -MP -pthread
# SDL2: the desktop window (ui/sdl.c).
CPPFLAGS += $(shell pkg-config --cflags sdl2 2>/dev/null)
LDLIBS   := -pthread -lrt -llzma -lzstd -lz $(shell pkg-config --libs capstone 2>/dev/null) \
            $(shell pkg-config --libs sdl2 2>/dev/null)
# capstone: disassembly in the debug log; also an oracle in unit tests.
TEST_LDLIBS := $(LDLIBS)
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# Every .c under these folders is part of the emulator.
SRC_DIRS := system hw accel tcg cpu fpu block net ui monitor
SRCS     := $(sort $(shell find $(SRC_DIRS) -name '*.c' 2>/dev/null))
LIB_SRCS := $(filter-out system/main.c,$(SRCS))
OBJS     := $(SRCS:%.c=$(BUILD)/obj/%.o)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
SAN_OBJS := $(LIB_SRCS:%.c=$(BUILD)/san/%.o)

UNIT_SRCS  := $(sort $(shell find tests/unit -name '*_test.c' 2>/dev/null))
# Helper sources beside a test (not *_test.c) are linked into that folder's tests.
unit_extra = $(filter-out %_test.c,$(wildcard $(dir $(1))*.c))
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%) \
              $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit-san/%)

.PHONY: all check demo bench deps guests unit clean fuzz bios
all: $(BUILD)/mimic $(BUILD)/mimic-img bios

# mimic-img: disk images from the command line (qemu-img compatible).
IMG_SRCS := $(sort $(wildcard tools/mimic-img/*.c) $(wildcard block/*.c)) system/log.c
$(BUILD)/mimic-img: $(IMG_SRCS:%.c=$(BUILD)/obj/%.o)
	$(CC) $(CFLAGS) -o $@ $^ -pthread -lz

# Our PC BIOS (bios/README.md): loaded by the pc machine when no -kernel is
# given; its own Makefile decides what is out of date.
bios:
	$(MAKE) -C bios OUT=$(abspath $(BUILD))/bios

$(BUILD)/mimic: $(OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -std=gnu11 -Wall -Wextra -Werror -MMD -MP -pthread $(SAN_FLAGS) -c -o $@ $<

$(BUILD)/libmimic.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libmimic-san.a: $(SAN_OBJS)
	@rm -f $@
	ar rcs $@ $^

# Unit tests link the pieces they use from the library (and any helper .c
# files next to them in tests/unit).
.SECONDEXPANSION:
$(BUILD)/unit/%: tests/unit/%.c $$(call unit_extra,tests/unit/%.c) $(BUILD)/libmimic.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -o $@ $< $(call unit_extra,$<) $(BUILD)/libmimic.a $(TEST_LDLIBS)

$(BUILD)/unit-san/%: tests/unit/%.c $$(call unit_extra,tests/unit/%.c) $(BUILD)/libmimic-san.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit -std=gnu11 -Wall -Wextra -Werror -pthread $(SAN_FLAGS) \
	    -o $@ $< $(call unit_extra,$<) $(BUILD)/libmimic-san.a $(TEST_LDLIBS)

unit: $(UNIT_BINS)

guests:
	$(MAKE) -C tests/guest/x86 OUT=$(abspath $(BUILD))/guest/x86

deps:
	scripts/install-deps

check: deps
	$(MAKE) all unit guests
	tests/run-all

demo: deps
	$(MAKE) all
	scripts/demo

bench: deps
	$(MAKE) all guests
	bench/run

# Fuzz targets (libFuzzer, clang): each runs FUZZ_TIME seconds from its seeds.
FUZZ_TIME ?= 300
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
$(BUILD)/fuzz/qcow2_fuzz: tests/fuzz/qcow2_fuzz.c $(wildcard block/*.c block/*.h) system/log.c
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) $(FUZZ_FLAGS) -o $@ tests/fuzz/qcow2_fuzz.c $(wildcard block/*.c) \
	    system/log.c -lz -pthread

IDE_FUZZ_SRCS := hw/ide/ata.c hw/ide/atapi.c hw/ide/piix.c hw/pci/pci.c system/memory.c system/irq.c \
	system/log.c system/machine.c system/mainloop.c system/timer.c $(wildcard block/*.c)
$(BUILD)/fuzz/ide_fuzz: tests/fuzz/ide_fuzz.c $(IDE_FUZZ_SRCS) $(wildcard hw/ide/*.h)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -std=gnu11 $(FUZZ_FLAGS) -o $@ tests/fuzz/ide_fuzz.c $(IDE_FUZZ_SRCS) \
	    -lz -pthread -lrt

fuzz: deps $(BUILD)/fuzz/qcow2_fuzz $(BUILD)/fuzz/ide_fuzz $(BUILD)/mimic-img
	rm -rf $(BUILD)/fuzz/qcow2-seeds
	MIMIC_IMG=$(abspath $(BUILD))/mimic-img tests/fuzz/qcow2_seeds $(abspath $(BUILD))/fuzz/qcow2-seeds
	mkdir -p $(BUILD)/fuzz/qcow2-corpus
	$(BUILD)/fuzz/qcow2_fuzz -max_total_time=$(FUZZ_TIME) -max_len=65536 -timeout=10 \
	    -rss_limit_mb=2048 -dict=tests/fuzz/qcow2.dict $(BUILD)/fuzz/qcow2-corpus \
	    $(BUILD)/fuzz/qcow2-seeds
	mkdir -p $(BUILD)/fuzz/ide-corpus
	$(BUILD)/fuzz/ide_fuzz -max_total_time=$(FUZZ_TIME) -max_len=1024 -timeout=10 \
	    $(BUILD)/fuzz/ide-corpus

clean:
	rm -rf $(BUILD)

-include $(OBJS:.o=.d) $(SAN_OBJS:.o=.d) $(IMG_SRCS:%.c=$(BUILD)/obj/%.d)
