/*
 * Proves the AML builder emits the encodings of ACPI 6.4 section 20.2
 * (PkgLength boundaries, integer prefixes, NameStrings, EISAID, Package,
 * Method, Device) and 6.4 resource descriptors, byte for byte against
 * hand-encoded expectations, and that nested objects parse back.
 */
#include "hw/acpi/aml.h"
#include "acpi_reader.h"
#include "test.h"

/* Compare a builder's bytes with an expected list. */
#define CHECK_BYTES(a, ...) do { \
        static const uint8_t exp_[] = { __VA_ARGS__ }; \
        CHECK(aml_ok(a)); \
        CHECK_EQ((a)->len, sizeof(exp_)); \
        for (size_t i_ = 0; i_ < sizeof(exp_); i_++) \
            if ((a)->data[i_] != exp_[i_]) { \
                printf("FAIL %s: byte %zu is 0x%02x, want 0x%02x\n", test_case_name_, i_, \
                       (a)->data[i_], exp_[i_]); \
                test_case_failed_ = 1; return; } \
    } while (0)

/* Expected PkgLength bytes for `content`, worked out by hand from the
 * spec's rules: the length counts its own bytes; one byte holds 0..63,
 * otherwise the lead byte holds the count of following bytes in bits 7-6
 * and the low nibble, following bytes hold bits 4-11, 12-19, 20-27. */
TEST_CASE(pkglength_boundaries)
{
    static const struct { size_t content; size_t n; uint8_t b[4]; } cases[] = {
        { 0, 1, { 0x01 } },
        { 62, 1, { 0x3F } },                        /* 63: largest 1-byte */
        { 63, 2, { 0x41, 0x04 } },                  /* 63+2 = 65 = 0x041 */
        { 64, 2, { 0x42, 0x04 } },
        { 4093, 2, { 0x4F, 0xFF } },                /* 4095 = 0xFFF: largest 2-byte */
        { 4094, 3, { 0x81, 0x00, 0x01 } },          /* 4097 = 0x1001 */
        { 4095, 3, { 0x82, 0x00, 0x01 } },
        { 1048572, 3, { 0x8F, 0xFF, 0xFF } },       /* 0xFFFFF: largest 3-byte */
        { 1048573, 4, { 0xC1, 0x00, 0x00, 0x01 } }, /* 0x100001 */
        { (1u << 28) - 5, 4, { 0xCF, 0xFF, 0xFF, 0xFF } },
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        uint8_t out[4] = { 0 };
        size_t n = aml_pkglength_encode(out, cases[c].content);
        CHECK_EQ(n, cases[c].n);
        for (size_t i = 0; i < n; i++)
            CHECK_EQ(out[i], cases[c].b[i]);
    }
    uint8_t out[4];
    CHECK_EQ(aml_pkglength_encode(out, (1u << 28) - 4), 0);     /* 2^28 does not fit */
}

/* Every length round-trips through the reader's decoder and uses the
 * fewest bytes the spec allows. */
TEST_CASE(pkglength_roundtrip_minimal)
{
    static const size_t max_for[5] = { 0, 63, 4095, 1048575, (1u << 28) - 1 };
    for (size_t content = 0; content < 1100000; content += content < 70000 ? 1 : 97) {
        uint8_t out[4];
        size_t n = aml_pkglength_encode(out, content), nb, len;
        CHECK(n >= 1 && n <= 4);
        CHECK(acpi_reader_pkglength(out, out + n, &nb, &len));
        CHECK_EQ(nb, n);
        CHECK_EQ(len, content + n);
        CHECK(len <= max_for[n]);
        if (n > 1)
            CHECK(content + n - 1 > max_for[n - 1]);
    }
}

TEST_CASE(integer_prefixes)
{
    Aml a;
    aml_init(&a);
    aml_integer(&a, 0);
    aml_integer(&a, 1);
    aml_integer(&a, 2);
    aml_integer(&a, 0xFF);
    aml_integer(&a, 0x100);
    aml_integer(&a, 0xFFFF);
    aml_integer(&a, 0x10000);
    aml_integer(&a, 0xFFFFFFFF);
    aml_integer(&a, 0x100000000ull);
    CHECK_BYTES(&a, 0x00, 0x01, 0x0A, 0x02, 0x0A, 0xFF, 0x0B, 0x00, 0x01, 0x0B, 0xFF, 0xFF,
                0x0C, 0x00, 0x00, 0x01, 0x00, 0x0C, 0xFF, 0xFF, 0xFF, 0xFF,
                0x0E, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00);
    aml_free(&a);
}

TEST_CASE(name_strings)
{
    Aml a;
    aml_init(&a);
    aml_name_string(&a, "_HID");
    aml_name_string(&a, "ISA");
    aml_name_string(&a, "\\_SB.PCI0");
    aml_name_string(&a, "\\_SB.PCI0.ISA");
    aml_name_string(&a, "^FOO");
    CHECK_BYTES(&a, '_', 'H', 'I', 'D', 'I', 'S', 'A', '_',
                0x5C, 0x2E, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
                0x5C, 0x2F, 0x03, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'I', 'S', 'A', '_',
                0x5E, 'F', 'O', 'O', '_');
    aml_free(&a);

    static const char *bad[] = { "1ABC", "ABCDE", "abc", "A..B", "", "A.", "\\_SB.", "A-B" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        aml_init(&a);
        aml_name_string(&a, bad[i]);
        CHECK(!aml_ok(&a));
        aml_free(&a);
    }
}

/* EISA IDs as the spec's compressed form; the values are the well-known
 * DWords that appear in every PC DSDT. */
TEST_CASE(eisaid)
{
    static const struct { const char *id; uint32_t v; } ids[] = {
        { "PNP0A03", 0x030AD041 }, { "PNP0303", 0x0303D041 }, { "PNP0F13", 0x130FD041 },
        { "PNP0501", 0x0105D041 }, { "PNP0B00", 0x000BD041 }, { "PNP0103", 0x0301D041 },
    };
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        Aml a;
        aml_init(&a);
        aml_eisaid(&a, ids[i].id);
        CHECK(aml_ok(&a));
        CHECK_EQ(a.len, 5);
        CHECK_EQ(a.data[0], 0x0C);      /* always a DWord, even with a zero top byte */
        CHECK_EQ(acpi_reader_le(a.data + 1, 4), ids[i].v);
        aml_free(&a);
    }
    Aml a;
    aml_init(&a);
    aml_eisaid(&a, "pnp0a03");
    CHECK(!aml_ok(&a));
    aml_free(&a);
}

TEST_CASE(string_and_package)
{
    Aml a;
    aml_init(&a);
    aml_string(&a, "AB");
    aml_name(&a, "_S5");
    aml_package_begin(&a, 4);
    aml_integer(&a, 5);
    aml_integer(&a, 5);
    aml_integer(&a, 0);
    aml_integer(&a, 0);
    aml_end(&a);
    /* PkgLength 8 = itself + NumElements + 6 bytes of elements */
    CHECK_BYTES(&a, 0x0D, 'A', 'B', 0x00,
                0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00);
    aml_free(&a);

    aml_init(&a);
    aml_string(&a, "\xC3\xA9");
    CHECK(!aml_ok(&a));
    aml_free(&a);
}

/* Method(_STA) { Return (0x0F) } and Device(KBD) { Name(_HID, EisaId) },
 * encoded by hand from 20.2.5.2 (MethodOp, DeviceOp). */
TEST_CASE(method_and_device)
{
    Aml a;
    aml_init(&a);
    aml_method_begin(&a, "_STA", 0, false);
    aml_return(&a);
    aml_integer(&a, 0x0F);
    aml_end(&a);
    aml_device_begin(&a, "KBD");
    aml_name_eisaid(&a, "_HID", "PNP0303");
    aml_end(&a);
    aml_method_begin(&a, "M1", 2, true);
    aml_end(&a);
    CHECK_BYTES(&a, 0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xA4, 0x0A, 0x0F,
                0x5B, 0x82, 0x0F, 'K', 'B', 'D', '_', 0x08, '_', 'H', 'I', 'D',
                0x0C, 0x41, 0xD0, 0x03, 0x03,
                0x14, 0x06, 'M', '1', '_', '_', 0x0A);
    aml_free(&a);
}

TEST_CASE(resource_template_bytes)
{
    Aml res, a;
    aml_init(&res);
    aml_init(&a);
    aml_res_io(&res, 0x60, 0x60, 1, 1);
    aml_res_irq(&res, 1u << 1);
    aml_res_ext_irq(&res, true, true, false, false, 9);
    aml_res_memory32_fixed(&res, false, 0xFED00000, 0x400);
    aml_resource_template(&a, &res);
    /* Buffer: PkgLength(1) + BufferSize(2) + 8 + 3 + 9 + 12 + 2 = 37 */
    CHECK(aml_ok(&a));
    CHECK_EQ(a.len, 1 + 37);
    static const uint8_t exp[] = {
        0x11, 0x25, 0x0A, 0x22,
        0x47, 0x01, 0x60, 0x00, 0x60, 0x00, 0x01, 0x01,     /* IO Decode16 */
        0x22, 0x02, 0x00,                                   /* IRQNoFlags {1} */
        0x89, 0x06, 0x00, 0x01, 0x01, 0x09, 0x00, 0x00, 0x00, /* consumer, level, high */
        0x86, 0x09, 0x00, 0x00, 0x00, 0x00, 0xD0, 0xFE, 0x00, 0x04, 0x00, 0x00,
        0x79,
    };
    for (size_t i = 0; i < sizeof(exp); i++)
        CHECK_EQ(a.data[i], exp[i]);
    /* End tag checksum: the template's bytes sum to 0 (6.4.2.9). */
    uint8_t sum = 0;
    for (size_t i = 4; i < a.len; i++)
        sum = (uint8_t)(sum + a.data[i]);
    CHECK_EQ(sum, 0);

    AmlValue v;
    const uint8_t *next;
    char err[ACPI_READER_ERR_LEN];
    AcpiResource r[8];
    CHECK(acpi_reader_aml_value(a.data, a.data + a.len, &v, &next, err, sizeof(err)));
    CHECK_EQ(acpi_reader_resources(&v, r, 8, err, sizeof(err)), 4);
    CHECK_EQ(r[2].gsi, 9);
    CHECK_EQ(r[3].mem_base, 0xFED00000);
    aml_free(&res);
    aml_free(&a);
}

TEST_CASE(address_descriptors)
{
    Aml res;
    aml_init(&res);
    aml_res_word_bus(&res, 0, 0xFF);
    aml_res_word_io(&res, 0x0D00, 0xFFFF);
    aml_res_dword_memory(&res, false, 0xC0000000, 0xFEBFFFFF);
    CHECK_BYTES(&res,
                0x88, 0x0D, 0x00, 0x02, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0x00,
                0x00, 0x00, 0x00, 0x01,
                0x88, 0x0D, 0x00, 0x01, 0x0C, 0x03, 0x00, 0x00, 0x00, 0x0D, 0xFF, 0xFF,
                0x00, 0x00, 0x00, 0xF3,
                0x87, 0x17, 0x00, 0x00, 0x0C, 0x01, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0xC0, 0xFF, 0xFF, 0xBF, 0xFE, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0xC0, 0x3E);
    aml_res_word_io(&res, 0, 0xFFFF);             /* length 0x10000 does not fit */
    CHECK(!aml_ok(&res));
    aml_free(&res);
}

/* Objects whose contents straddle each PkgLength size parse back with
 * consistent lengths, nested three deep. */
TEST_CASE(nested_lengths_parse)
{
    static const size_t fill[] = { 0, 50, 57, 58, 59, 60, 4080, 4090, 4091, 4092, 70000 };
    for (size_t f = 0; f < sizeof(fill) / sizeof(fill[0]); f++) {
        Aml a;
        static uint8_t blob[70000];
        aml_init(&a);
        aml_scope_begin(&a, "\\_SB");
        aml_device_begin(&a, "DEV0");
        aml_name(&a, "BUF0");
        aml_buffer(&a, blob, fill[f]);
        aml_method_begin(&a, "_STA", 0, false);
        aml_return(&a);
        aml_integer(&a, 0x0F);
        aml_end(&a);
        aml_end(&a);
        aml_name_integer(&a, "X", 0x12345678);
        aml_end(&a);
        CHECK(aml_ok(&a));

        static AmlNamespace ns;
        CHECK(acpi_reader_aml_parse(a.data, a.len, &ns));
        CHECK_EQ(ns.top_level, 1);
        const AmlObject *b = acpi_reader_aml_find(&ns, "\\_SB_.DEV0.BUF0");
        CHECK(b && b->value.kind == AML_VALUE_BUFFER);
        CHECK_EQ(b->value.buffer_size, fill[f]);
        CHECK_EQ(b->value.byte_count, fill[f]);
        const AmlObject *m = acpi_reader_aml_find(&ns, "\\_SB_.DEV0._STA");
        CHECK(m && m->kind == 'M' && m->has_value && m->value.integer == 0x0F);
        const AmlObject *x = acpi_reader_aml_find(&ns, "\\_SB_.X___");
        CHECK(x && x->value.integer == 0x12345678);
        aml_free(&a);
    }
}

TEST_CASE(nesting_errors)
{
    Aml a;
    aml_init(&a);
    aml_end(&a);
    CHECK(!aml_ok(&a));
    aml_free(&a);

    aml_init(&a);
    aml_scope_begin(&a, "\\_SB");
    CHECK(!aml_ok(&a));           /* still open */
    aml_end(&a);
    CHECK(aml_ok(&a));
    aml_free(&a);

    aml_init(&a);
    for (int i = 0; i <= AML_MAX_DEPTH; i++)
        aml_scope_begin(&a, "S");
    CHECK(a.error);
    aml_free(&a);

    aml_init(&a);
    aml_package_begin(&a, AML_PACKAGE_MAX_ELEMENTS + 1);
    CHECK(a.error);
    aml_free(&a);

    aml_init(&a);
    aml_method_begin(&a, "M", 8, false);
    CHECK(a.error);
    aml_free(&a);
}

int main(void)
{
    RUN(pkglength_boundaries);
    RUN(pkglength_roundtrip_minimal);
    RUN(integer_prefixes);
    RUN(name_strings);
    RUN(eisaid);
    RUN(string_and_package);
    RUN(method_and_device);
    RUN(resource_template_bytes);
    RUN(address_descriptors);
    RUN(nested_lengths_parse);
    RUN(nesting_errors);
    TEST_EXIT();
}
