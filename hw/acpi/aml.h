/*
 * A small AML (ACPI Machine Language) byte-code builder: the subset of ACPI
 * 6.x section 20 (AML encoding) and 6.4 (resource descriptors) that the pc
 * machine's DSDT needs. Objects that contain others (Scope, Device, Method,
 * Package) are opened with *_begin and closed with aml_end(), which inserts
 * the PkgLength. Leaves out: operators, fields, regions, mutexes, control flow.
 */
#ifndef MIMIC_HW_ACPI_AML_H
#define MIMIC_HW_ACPI_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How deeply Scope/Device/Method/Package/Buffer may nest. */
#define AML_MAX_DEPTH 16
/* PkgLength encodes at most 28 bits (ACPI 6.4 section 20.2.4). */
#define AML_PKGLENGTH_MAX ((1u << 28) - 1)
/* Package NumElements is a single byte. */
#define AML_PACKAGE_MAX_ELEMENTS 255

/* A growable byte string. Any error (bad name, unbalanced nesting, out of
 * memory, limit exceeded) is sticky: `error` stays set and aml_ok() fails. */
typedef struct Aml {
    uint8_t *data;
    size_t len, cap;
    bool error;
    int depth;
    size_t open[AML_MAX_DEPTH];   /* where each open object's PkgLength goes */
} Aml;

void aml_init(Aml *a);
void aml_free(Aml *a);
/* True when no error occurred and every *_begin has been closed. */
bool aml_ok(const Aml *a);

/* PkgLength for `content` bytes following it: writes 1..4 bytes to out and
 * returns how many, or 0 when content + encoding would exceed 28 bits. */
size_t aml_pkglength_encode(uint8_t out[4], size_t content);

/* Raw bytes (opcodes the builder does not wrap). */
void aml_bytes(Aml *a, const void *bytes, size_t n);

/* A NameString: "\\_SB.PCI0", "^ISA", "_HID". Segments are 1-4 characters
 * of [A-Z0-9_] (not starting with a digit), padded with '_'. */
void aml_name_string(Aml *a, const char *path);

/* Data objects. Integers use the shortest of Zero/One/Byte/Word/DWord/QWord. */
void aml_integer(Aml *a, uint64_t value);
void aml_string(Aml *a, const char *s);           /* ASCII 0x01-0x7F */
void aml_eisaid(Aml *a, const char *id);          /* "PNP0A03" as a DWord */
void aml_buffer(Aml *a, const void *bytes, size_t n);
void aml_package_begin(Aml *a, unsigned count);   /* count must match what follows */

/* Named objects. aml_name() must be followed by exactly one data object. */
void aml_name(Aml *a, const char *name);
void aml_name_integer(Aml *a, const char *name, uint64_t value);
void aml_name_eisaid(Aml *a, const char *name, const char *id);
void aml_scope_begin(Aml *a, const char *path);
void aml_device_begin(Aml *a, const char *path);
void aml_method_begin(Aml *a, const char *name, unsigned nargs, bool serialized);
/* Return: must be followed by one data object (a constant). */
void aml_return(Aml *a);
/* Closes the innermost open Scope/Device/Method/Package. */
void aml_end(Aml *a);

/* Resource descriptors (ACPI 6.4 section 6.4), appended to `res`, a
 * separate Aml used as a plain byte list; aml_resource_template() then
 * wraps it into a Buffer with the End Tag and its checksum. */
void aml_res_io(Aml *res, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
void aml_res_irq(Aml *res, uint16_t mask);   /* IRQNoFlags: edge, high, exclusive */
void aml_res_ext_irq(Aml *res, bool consumer, bool level, bool active_low, bool shared,
                     uint32_t gsi);
void aml_res_memory32_fixed(Aml *res, bool writable, uint32_t base, uint32_t size);
/* Word/DWord Address Space descriptors for bridge windows (producer,
 * fixed min and max, positive decode). */
void aml_res_word_bus(Aml *res, uint16_t min, uint16_t max);
void aml_res_word_io(Aml *res, uint16_t min, uint16_t max);
void aml_res_dword_memory(Aml *res, bool cacheable, uint32_t min, uint32_t max);
void aml_resource_template(Aml *a, const Aml *res);

#endif
