/*
 * A small, independent ACPI table reader for the unit tests: walks RSDP ->
 * RSDT/XSDT -> tables in a guest-memory image, checking signatures, lengths
 * and checksums (ACPI 6.4 chapter 5), decodes FADT/MADT fields, parses the
 * static subset of AML (chapter 20) into a namespace and resource templates
 * (6.4). It shares no code with hw/acpi so the tests check against the spec.
 */
#ifndef MIMIC_TESTS_ACPI_READER_H
#define MIMIC_TESTS_ACPI_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_READER_MAX_TABLES  16
#define ACPI_READER_MAX_OBJECTS 2048
#define ACPI_READER_PATH_LEN    96
#define ACPI_READER_ERR_LEN     200

typedef struct AcpiReaderTable {
    char sig[5];
    uint64_t addr;
    const uint8_t *data;
    uint32_t len;
} AcpiReaderTable;

typedef struct AcpiReader {
    const uint8_t *mem;
    size_t size;
    uint64_t base;
    uint8_t rsdp_revision;
    uint64_t rsdt_addr, xsdt_addr;
    AcpiReaderTable xsdt[ACPI_READER_MAX_TABLES];   /* tables the XSDT lists */
    int nxsdt;
    uint64_t rsdt[ACPI_READER_MAX_TABLES];          /* addresses the RSDT lists */
    int nrsdt;
    char error[ACPI_READER_ERR_LEN];
} AcpiReader;

/* Image `mem` holds guest physical [base, base+size). Validates RSDP (both
 * checksums), RSDT, XSDT and every table the XSDT lists. */
bool acpi_reader_open(AcpiReader *r, const uint8_t *mem, size_t size, uint64_t base,
                      uint64_t rsdp_addr);
/* Pointer to guest range [addr, addr+len) or NULL if outside the image. */
const uint8_t *acpi_reader_ptr(const AcpiReader *r, uint64_t addr, size_t len);
/* Checks signature, length (>= 36, <= avail) and checksum of a table at addr. */
bool acpi_reader_table_at(AcpiReader *r, uint64_t addr, const char *sig, AcpiReaderTable *t);
const AcpiReaderTable *acpi_reader_find(const AcpiReader *r, const char *sig);

uint64_t acpi_reader_le(const uint8_t *p, unsigned size);

typedef struct AcpiGas {
    uint8_t space, bit_width, bit_offset, access;
    uint64_t addr;
} AcpiGas;

typedef struct AcpiFadt {
    uint8_t revision, minor;
    uint32_t length;
    uint32_t firmware_ctrl, dsdt;
    uint8_t pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint32_t pm1a_evt, pm1b_evt, pm1a_cnt, pm1b_cnt, pm2_cnt, pm_tmr, gpe0, gpe1;
    uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len, gpe0_len, gpe1_len;
    uint8_t century;
    uint16_t boot_arch;
    uint32_t flags;
    AcpiGas reset_reg;
    uint8_t reset_value;
    uint64_t x_firmware_ctrl, x_dsdt;
    AcpiGas x_pm1a_evt, x_pm1b_evt, x_pm1a_cnt, x_pm1b_cnt, x_pm2_cnt, x_pm_tmr, x_gpe0,
        x_gpe1;
} AcpiFadt;

bool acpi_reader_fadt(const AcpiReaderTable *t, AcpiFadt *f);

typedef struct AcpiMadtEntry {
    uint8_t type, len;
    const uint8_t *p;       /* the whole entry, type byte first */
} AcpiMadtEntry;

/* Entries after the 44-byte MADT head; -1 if one overruns the table. */
int acpi_reader_madt_entries(const AcpiReaderTable *madt, AcpiMadtEntry *out, int max);

/* --- AML ------------------------------------------------------------- */

typedef enum AmlKind {
    AML_VALUE_INTEGER,
    AML_VALUE_STRING,
    AML_VALUE_BUFFER,
    AML_VALUE_PACKAGE,
    AML_VALUE_NAMEREF,
} AmlKind;

typedef struct AmlValue {
    AmlKind kind;
    uint64_t integer;
    const char *string;            /* NUL-terminated inside the AML */
    const uint8_t *bytes;          /* buffer initializer */
    size_t buffer_size;            /* BufferSize operand */
    size_t byte_count;             /* initializer bytes present */
    unsigned num_elements;         /* package NumElements */
    unsigned parsed_elements;      /* initializers actually present */
    const uint8_t *elems, *end;    /* package element encoding */
    char name[ACPI_READER_PATH_LEN];   /* NAMEREF as written */
} AmlValue;

/* Decodes one data object at p (< end); *next = first byte after it. */
bool acpi_reader_aml_value(const uint8_t *p, const uint8_t *end, AmlValue *v,
                           const uint8_t **next, char *err, size_t errlen);
bool acpi_reader_package_element(const AmlValue *pkg, unsigned i, AmlValue *out);

typedef struct AmlObject {
    char path[ACPI_READER_PATH_LEN];   /* "\\_SB_.PCI0._HID" */
    char kind;                         /* 'N' name, 'S' scope, 'D' device, 'M' method */
    AmlValue value;                    /* 'N': its data; 'M': the constant it returns */
    bool has_value;
    unsigned method_flags;
} AmlObject;

typedef struct AmlNamespace {
    AmlObject obj[ACPI_READER_MAX_OBJECTS];
    int n;
    int top_level;                     /* objects directly in the table */
    char error[ACPI_READER_ERR_LEN];
} AmlNamespace;

/* Parses a TermList of Name/Scope/Device/Method(Return const) objects,
 * checking every PkgLength against its parent. */
bool acpi_reader_aml_parse(const uint8_t *aml, size_t len, AmlNamespace *ns);
const AmlObject *acpi_reader_aml_find(const AmlNamespace *ns, const char *path);
/* PkgLength at p: its byte count in *nbytes and the length it encodes. */
bool acpi_reader_pkglength(const uint8_t *p, const uint8_t *end, size_t *nbytes, size_t *len);

/* Resource template (a Buffer): descriptors up to the End Tag, whose
 * checksum must make the template sum to zero (or be zero). */
typedef struct AcpiResource {
    uint8_t tag;                 /* small: bits 6-3 type; large: 0x80 | type */
    uint16_t io_min, io_max;
    uint8_t io_align, io_len;
    uint16_t irq_mask;
    uint8_t irq_flags;           /* small IRQ info byte, or extended flags */
    uint32_t gsi;
    uint8_t addr_type, addr_general, addr_specific;
    uint64_t addr_min, addr_max, addr_len;
    uint32_t mem_base, mem_len;
    bool mem_writable;
} AcpiResource;

int acpi_reader_resources(const AmlValue *buf, AcpiResource *out, int max, char *err,
                          size_t errlen);

#endif
