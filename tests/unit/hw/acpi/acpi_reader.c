/*
 * Independent ACPI reader for unit tests (see acpi_reader.h). Written from
 * ACPI 6.4 sections 5.2 (tables), 20.2 (AML grammar) and 6.4 (resource
 * data); deliberately strict: anything outside the subset a static DSDT
 * uses is reported as an error rather than skipped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "acpi_reader.h"

static bool fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}

uint64_t acpi_reader_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint8_t sum_bytes(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

const uint8_t *acpi_reader_ptr(const AcpiReader *r, uint64_t addr, size_t len)
{
    if (addr < r->base || addr - r->base > r->size || len > r->size - (addr - r->base))
        return NULL;
    return r->mem + (addr - r->base);
}

bool acpi_reader_table_at(AcpiReader *r, uint64_t addr, const char *sig, AcpiReaderTable *t)
{
    const uint8_t *h = acpi_reader_ptr(r, addr, 36);
    if (!h)
        return fail(r->error, sizeof(r->error), "table at 0x%llx outside image",
                    (unsigned long long)addr);
    uint32_t len = (uint32_t)acpi_reader_le(h + 4, 4);
    if (sig && memcmp(h, sig, 4) != 0)
        return fail(r->error, sizeof(r->error), "table at 0x%llx: signature %.4s, want %s",
                    (unsigned long long)addr, (const char *)h, sig);
    if (len < 36 || !acpi_reader_ptr(r, addr, len))
        return fail(r->error, sizeof(r->error), "%.4s: bad length %u", (const char *)h, len);
    if (sum_bytes(h, len) != 0)
        return fail(r->error, sizeof(r->error), "%.4s: checksum does not sum to 0",
                    (const char *)h);
    memcpy(t->sig, h, 4);
    t->sig[4] = '\0';
    t->addr = addr;
    t->data = h;
    t->len = len;
    return true;
}

bool acpi_reader_open(AcpiReader *r, const uint8_t *mem, size_t size, uint64_t base,
                      uint64_t rsdp_addr)
{
    memset(r, 0, sizeof(*r));
    r->mem = mem;
    r->size = size;
    r->base = base;

    /* RSDP, section 5.2.5.3 */
    const uint8_t *p = acpi_reader_ptr(r, rsdp_addr, 36);
    if (!p)
        return fail(r->error, sizeof(r->error), "RSDP outside image");
    if (rsdp_addr % 16)
        return fail(r->error, sizeof(r->error), "RSDP not 16-byte aligned");
    if (memcmp(p, "RSD PTR ", 8) != 0)
        return fail(r->error, sizeof(r->error), "RSDP signature");
    if (sum_bytes(p, 20) != 0)
        return fail(r->error, sizeof(r->error), "RSDP checksum (first 20 bytes)");
    r->rsdp_revision = p[15];
    if (r->rsdp_revision < 2)
        return fail(r->error, sizeof(r->error), "RSDP revision %u < 2", r->rsdp_revision);
    if (acpi_reader_le(p + 20, 4) != 36)
        return fail(r->error, sizeof(r->error), "RSDP length field %u",
                    (unsigned)acpi_reader_le(p + 20, 4));
    if (sum_bytes(p, 36) != 0)
        return fail(r->error, sizeof(r->error), "RSDP extended checksum");
    r->rsdt_addr = acpi_reader_le(p + 16, 4);
    r->xsdt_addr = acpi_reader_le(p + 24, 8);

    AcpiReaderTable t;
    if (!acpi_reader_table_at(r, r->rsdt_addr, "RSDT", &t))
        return false;
    if ((t.len - 36) % 4)
        return fail(r->error, sizeof(r->error), "RSDT length not 36 + 4n");
    r->nrsdt = (int)((t.len - 36) / 4);
    if (r->nrsdt > ACPI_READER_MAX_TABLES)
        return fail(r->error, sizeof(r->error), "RSDT has too many entries");
    for (int i = 0; i < r->nrsdt; i++)
        r->rsdt[i] = acpi_reader_le(t.data + 36 + 4 * i, 4);

    if (!acpi_reader_table_at(r, r->xsdt_addr, "XSDT", &t))
        return false;
    if ((t.len - 36) % 8)
        return fail(r->error, sizeof(r->error), "XSDT length not 36 + 8n");
    r->nxsdt = (int)((t.len - 36) / 8);
    if (r->nxsdt > ACPI_READER_MAX_TABLES)
        return fail(r->error, sizeof(r->error), "XSDT has too many entries");
    for (int i = 0; i < r->nxsdt; i++) {
        uint64_t a = acpi_reader_le(t.data + 36 + 8 * i, 8);
        if (!acpi_reader_table_at(r, a, NULL, &r->xsdt[i]))
            return false;
    }
    return true;
}

const AcpiReaderTable *acpi_reader_find(const AcpiReader *r, const char *sig)
{
    for (int i = 0; i < r->nxsdt; i++) {
        if (memcmp(r->xsdt[i].sig, sig, 4) == 0)
            return &r->xsdt[i];
    }
    return NULL;
}

static AcpiGas read_gas(const uint8_t *p)
{
    AcpiGas g = { p[0], p[1], p[2], p[3], acpi_reader_le(p + 4, 8) };
    return g;
}

/* FADT field offsets from ACPI 6.4 table 5.9. */
bool acpi_reader_fadt(const AcpiReaderTable *t, AcpiFadt *f)
{
    const uint8_t *p = t->data;
    memset(f, 0, sizeof(*f));
    if (memcmp(t->sig, "FACP", 4) != 0 || t->len < 244)
        return false;
    f->revision = p[8];
    f->length = t->len;
    f->firmware_ctrl = (uint32_t)acpi_reader_le(p + 36, 4);
    f->dsdt = (uint32_t)acpi_reader_le(p + 40, 4);
    f->pm_profile = p[45];
    f->sci_int = (uint16_t)acpi_reader_le(p + 46, 2);
    f->smi_cmd = (uint32_t)acpi_reader_le(p + 48, 4);
    f->pm1a_evt = (uint32_t)acpi_reader_le(p + 56, 4);
    f->pm1b_evt = (uint32_t)acpi_reader_le(p + 60, 4);
    f->pm1a_cnt = (uint32_t)acpi_reader_le(p + 64, 4);
    f->pm1b_cnt = (uint32_t)acpi_reader_le(p + 68, 4);
    f->pm2_cnt = (uint32_t)acpi_reader_le(p + 72, 4);
    f->pm_tmr = (uint32_t)acpi_reader_le(p + 76, 4);
    f->gpe0 = (uint32_t)acpi_reader_le(p + 80, 4);
    f->gpe1 = (uint32_t)acpi_reader_le(p + 84, 4);
    f->pm1_evt_len = p[88];
    f->pm1_cnt_len = p[89];
    f->pm2_cnt_len = p[90];
    f->pm_tmr_len = p[91];
    f->gpe0_len = p[92];
    f->gpe1_len = p[93];
    f->century = p[108];
    f->boot_arch = (uint16_t)acpi_reader_le(p + 109, 2);
    f->flags = (uint32_t)acpi_reader_le(p + 112, 4);
    f->reset_reg = read_gas(p + 116);
    f->reset_value = p[128];
    f->minor = p[131];
    f->x_firmware_ctrl = acpi_reader_le(p + 132, 8);
    f->x_dsdt = acpi_reader_le(p + 140, 8);
    f->x_pm1a_evt = read_gas(p + 148);
    f->x_pm1b_evt = read_gas(p + 160);
    f->x_pm1a_cnt = read_gas(p + 172);
    f->x_pm1b_cnt = read_gas(p + 184);
    f->x_pm2_cnt = read_gas(p + 196);
    f->x_pm_tmr = read_gas(p + 208);
    f->x_gpe0 = read_gas(p + 220);
    f->x_gpe1 = read_gas(p + 232);
    return true;
}

int acpi_reader_madt_entries(const AcpiReaderTable *madt, AcpiMadtEntry *out, int max)
{
    size_t off = 44;
    int n = 0;
    while (off < madt->len) {
        if (madt->len - off < 2)
            return -1;
        uint8_t type = madt->data[off], len = madt->data[off + 1];
        if (len < 2 || len > madt->len - off)
            return -1;
        if (n < max)
            out[n] = (AcpiMadtEntry){ type, len, madt->data + off };
        n++;
        off += len;
    }
    return n;
}

/* --- AML --------------------------------------------------------------- */

bool acpi_reader_pkglength(const uint8_t *p, const uint8_t *end, size_t *nbytes, size_t *len)
{
    if (p >= end)
        return false;
    unsigned follow = p[0] >> 6;
    if ((size_t)(end - p) < 1 + follow)
        return false;
    if (follow == 0) {
        *len = p[0] & 0x3F;
    } else {
        if (p[0] & 0x30)           /* bits 5-4 must be zero (20.2.4) */
            return false;
        size_t v = p[0] & 0x0F;
        for (unsigned i = 1; i <= follow; i++)
            v |= (size_t)p[i] << (4 + 8 * (i - 1));
        *len = v;
    }
    *nbytes = 1 + follow;
    return true;
}

/* Package/object end from a PkgLength at p, within [p, limit]. */
static bool pkg_end(const uint8_t *p, const uint8_t *limit, const uint8_t **body,
                    const uint8_t **end, char *err, size_t errlen, const uint8_t *origin)
{
    size_t nb, len;
    if (!acpi_reader_pkglength(p, limit, &nb, &len))
        return fail(err, errlen, "bad PkgLength at offset %td", p - origin);
    if (len < nb || len > (size_t)(limit - p))
        return fail(err, errlen, "PkgLength %zu at offset %td overruns its parent (%td left)",
                    len, p - origin, limit - p);
    *body = p + nb;
    *end = p + len;
    return true;
}

static bool lead_name_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool seg_valid(const uint8_t *s)
{
    if (!lead_name_char(s[0]))
        return false;
    for (int i = 1; i < 4; i++) {
        if (!lead_name_char(s[i]) && !(s[i] >= '0' && s[i] <= '9'))
            return false;
    }
    return true;
}

/* NameString (20.2.2) into text form "\\ABCD.EFGH" / "^ABCD" / "ABCD". */
static bool parse_name(const uint8_t **pp, const uint8_t *end, char *out, size_t outlen)
{
    const uint8_t *p = *pp;
    size_t o = 0;
    unsigned nsegs;

    out[0] = '\0';
    if (p < end && *p == '\\') {
        out[o++] = '\\';
        p++;
    } else {
        while (p < end && *p == '^') {
            if (o + 1 >= outlen)
                return false;
            out[o++] = '^';
            p++;
        }
    }
    if (p >= end)
        return false;
    if (*p == 0x00) {
        nsegs = 0;
        p++;
    } else if (*p == 0x2E) {
        nsegs = 2;
        p++;
    } else if (*p == 0x2F) {
        if (p + 1 >= end)
            return false;
        nsegs = p[1];
        p += 2;
        if (nsegs == 0)
            return false;
    } else {
        nsegs = 1;
    }
    if ((size_t)(end - p) < 4 * (size_t)nsegs)
        return false;
    for (unsigned i = 0; i < nsegs; i++) {
        if (!seg_valid(p))
            return false;
        if (o + 6 >= outlen)
            return false;
        if (i > 0)
            out[o++] = '.';
        memcpy(out + o, p, 4);
        o += 4;
        p += 4;
    }
    out[o] = '\0';
    *pp = p;
    return true;
}

static bool name_start(uint8_t c)
{
    return lead_name_char(c) || c == '\\' || c == '^' || c == 0x2E || c == 0x2F;
}

bool acpi_reader_aml_value(const uint8_t *p, const uint8_t *end, AmlValue *v,
                           const uint8_t **next, char *err, size_t errlen)
{
    memset(v, 0, sizeof(*v));
    if (p >= end)
        return fail(err, errlen, "data object missing");
    uint8_t op = *p++;
    switch (op) {
    case 0x00:
    case 0x01:
        v->kind = AML_VALUE_INTEGER;
        v->integer = op;
        break;
    case 0xFF:
        v->kind = AML_VALUE_INTEGER;
        v->integer = ~(uint64_t)0;
        break;
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0E: {
        unsigned size = op == 0x0A ? 1 : op == 0x0B ? 2 : op == 0x0C ? 4 : 8;
        if ((size_t)(end - p) < size)
            return fail(err, errlen, "integer truncated");
        v->kind = AML_VALUE_INTEGER;
        v->integer = acpi_reader_le(p, size);
        p += size;
        break;
    }
    case 0x0D: {
        const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
        if (!nul)
            return fail(err, errlen, "string not terminated");
        for (const uint8_t *c = p; c < nul; c++) {
            if (*c > 0x7F)
                return fail(err, errlen, "string has non-ASCII byte");
        }
        v->kind = AML_VALUE_STRING;
        v->string = (const char *)p;
        p = nul + 1;
        break;
    }
    case 0x11: {
        const uint8_t *body, *bend;
        const uint8_t *q;
        AmlValue size;
        if (!pkg_end(p, end, &body, &bend, err, errlen, p))
            return false;
        if (!acpi_reader_aml_value(body, bend, &size, &q, err, errlen))
            return false;
        if (size.kind != AML_VALUE_INTEGER)
            return fail(err, errlen, "BufferSize is not an integer constant");
        v->kind = AML_VALUE_BUFFER;
        v->buffer_size = (size_t)size.integer;
        v->bytes = q;
        v->byte_count = (size_t)(bend - q);
        p = bend;
        break;
    }
    case 0x12: {
        const uint8_t *body, *bend;
        if (!pkg_end(p, end, &body, &bend, err, errlen, p))
            return false;
        if (body >= bend)
            return fail(err, errlen, "package without NumElements");
        v->kind = AML_VALUE_PACKAGE;
        v->num_elements = *body++;
        v->elems = body;
        v->end = bend;
        const uint8_t *q = body;
        while (q < bend) {
            AmlValue e;
            if (!acpi_reader_aml_value(q, bend, &e, &q, err, errlen))
                return false;
            v->parsed_elements++;
        }
        if (v->parsed_elements > v->num_elements)
            return fail(err, errlen, "package has %u initializers for NumElements %u",
                        v->parsed_elements, v->num_elements);
        p = bend;
        break;
    }
    default:
        p--;
        if (name_start(op)) {
            v->kind = AML_VALUE_NAMEREF;
            if (!parse_name(&p, end, v->name, sizeof(v->name)))
                return fail(err, errlen, "bad NameString in data");
            break;
        }
        return fail(err, errlen, "unsupported data opcode 0x%02x", op);
    }
    *next = p;
    return true;
}

bool acpi_reader_package_element(const AmlValue *pkg, unsigned i, AmlValue *out)
{
    const uint8_t *q = pkg->elems;
    char err[ACPI_READER_ERR_LEN];
    if (pkg->kind != AML_VALUE_PACKAGE || i >= pkg->parsed_elements)
        return false;
    for (unsigned k = 0; k <= i; k++) {
        if (!acpi_reader_aml_value(q, pkg->end, out, &q, err, sizeof(err)))
            return false;
    }
    return true;
}

/* Resolve `name` (as parsed) against `scope` into an absolute path. */
static bool resolve(const char *scope, const char *name, char *out, size_t outlen)
{
    char buf[ACPI_READER_PATH_LEN];
    if (name[0] == '\\') {
        snprintf(buf, sizeof(buf), "%s", name);
    } else {
        snprintf(buf, sizeof(buf), "%s", scope);
        while (*name == '^') {
            char *dot = strrchr(buf, '.');
            if (dot)
                *dot = '\0';
            else if (strlen(buf) > 1)
                buf[1] = '\0';
            else
                return false;     /* ^ above the root */
            name++;
        }
        size_t l = strlen(buf);
        if (*name) {
            if (l + 1 + strlen(name) + 1 > sizeof(buf))
                return false;
            if (l > 1)
                buf[l++] = '.';
            strcpy(buf + l, name);
        }
    }
    if (strlen(buf) + 1 > outlen)
        return false;
    strcpy(out, buf);
    return true;
}

static AmlObject *add_object(AmlNamespace *ns, const char *scope, const char *name, char kind,
                             const uint8_t *origin, const uint8_t *at)
{
    if (ns->n >= ACPI_READER_MAX_OBJECTS) {
        fail(ns->error, sizeof(ns->error), "too many objects");
        return NULL;
    }
    AmlObject *o = &ns->obj[ns->n];
    memset(o, 0, sizeof(*o));
    if (!resolve(scope, name, o->path, sizeof(o->path))) {
        fail(ns->error, sizeof(ns->error), "cannot resolve %s in %s at offset %td", name, scope,
             at - origin);
        return NULL;
    }
    for (int i = 0; i < ns->n; i++) {
        if (ns->obj[i].kind != 'S' && kind != 'S' && strcmp(ns->obj[i].path, o->path) == 0) {
            fail(ns->error, sizeof(ns->error), "%s defined twice", o->path);
            return NULL;
        }
    }
    o->kind = kind;
    ns->n++;
    return o;
}

static bool parse_terms(AmlNamespace *ns, const char *scope, const uint8_t *p,
                        const uint8_t *end, const uint8_t *origin, int depth)
{
    char name[ACPI_READER_PATH_LEN];
    char *err = ns->error;
    size_t errlen = sizeof(ns->error);

    if (depth > 32)
        return fail(err, errlen, "nesting too deep");
    while (p < end) {
        const uint8_t *at = p;
        uint8_t op = *p++;
        if (depth == 0)
            ns->top_level++;
        if (op == 0x08) {                               /* NameOp */
            if (!parse_name(&p, end, name, sizeof(name)))
                return fail(err, errlen, "bad NameString at offset %td", p - origin);
            AmlObject *o = add_object(ns, scope, name, 'N', origin, at);
            if (!o)
                return false;
            if (!acpi_reader_aml_value(p, end, &o->value, &p, err, errlen))
                return false;
            o->has_value = true;
        } else if (op == 0x10 || op == 0x14 || (op == 0x5B && p < end && *p == 0x82)) {
            char kind = op == 0x10 ? 'S' : op == 0x14 ? 'M' : 'D';
            const uint8_t *body, *oend;
            if (kind == 'D')
                p++;
            if (!pkg_end(p, end, &body, &oend, err, errlen, origin))
                return false;
            if (!parse_name(&body, oend, name, sizeof(name)))
                return fail(err, errlen, "bad NameString at offset %td", body - origin);
            AmlObject *o = add_object(ns, scope, name, kind, origin, at);
            if (!o)
                return false;
            char path[ACPI_READER_PATH_LEN];
            snprintf(path, sizeof(path), "%s", o->path);
            if (kind == 'M') {
                if (body >= oend)
                    return fail(err, errlen, "method %s without flags", path);
                o->method_flags = *body++;
                /* Only constant-returning bodies: ReturnOp DataObject. */
                if (body < oend) {
                    if (*body != 0xA4)
                        return fail(err, errlen, "method %s: unsupported opcode 0x%02x", path,
                                    *body);
                    const uint8_t *q;
                    if (!acpi_reader_aml_value(body + 1, oend, &o->value, &q, err, errlen))
                        return false;
                    if (q != oend)
                        return fail(err, errlen, "method %s: bytes after Return", path);
                    o->has_value = true;
                }
            } else if (!parse_terms(ns, path, body, oend, origin, depth + 1)) {
                return false;
            }
            p = oend;
        } else {
            return fail(err, errlen, "unsupported opcode 0x%02x at offset %td", op, at - origin);
        }
    }
    return true;
}

bool acpi_reader_aml_parse(const uint8_t *aml, size_t len, AmlNamespace *ns)
{
    ns->n = 0;
    ns->top_level = 0;
    ns->error[0] = '\0';
    return parse_terms(ns, "\\", aml, aml + len, aml, 0);
}

const AmlObject *acpi_reader_aml_find(const AmlNamespace *ns, const char *path)
{
    for (int i = 0; i < ns->n; i++) {
        if (ns->obj[i].kind != 'S' && strcmp(ns->obj[i].path, path) == 0)
            return &ns->obj[i];
    }
    return NULL;
}

/* Resource data, ACPI 6.4 section 6.4: small items (6.4.2) have the type
 * in bits 6-3 and the length in bits 2-0; large items (6.4.3) have bit 7
 * set and a 16-bit length. */
int acpi_reader_resources(const AmlValue *buf, AcpiResource *out, int max, char *err,
                          size_t errlen)
{
    if (buf->kind != AML_VALUE_BUFFER)
        return fail(err, errlen, "resource template is not a buffer"), -1;
    if (buf->buffer_size != buf->byte_count)
        return fail(err, errlen, "BufferSize %zu != %zu initializer bytes", buf->buffer_size,
                    buf->byte_count), -1;
    const uint8_t *p = buf->bytes, *end = buf->bytes + buf->byte_count;
    int n = 0;
    while (p < end) {
        AcpiResource r;
        memset(&r, 0, sizeof(r));
        const uint8_t *d;
        size_t len;
        if (p[0] & 0x80) {
            if (end - p < 3)
                return fail(err, errlen, "large descriptor truncated"), -1;
            len = (size_t)acpi_reader_le(p + 1, 2);
            d = p + 3;
            r.tag = p[0];
        } else {
            len = p[0] & 7;
            d = p + 1;
            r.tag = (uint8_t)((p[0] >> 3) & 0x0F);
        }
        if ((size_t)(end - d) < len)
            return fail(err, errlen, "descriptor 0x%02x overruns template", p[0]), -1;
        switch (r.tag) {
        case 0x0F:                              /* End Tag */
            if (len != 1)
                return fail(err, errlen, "end tag length %zu", len), -1;
            if (d + 1 != end)
                return fail(err, errlen, "bytes after end tag"), -1;
            if (d[0] != 0 && sum_bytes(buf->bytes, buf->byte_count) != 0)
                return fail(err, errlen, "resource template checksum"), -1;
            return n;
        case 0x04:                              /* IRQ */
            if (len != 2 && len != 3)
                return fail(err, errlen, "IRQ descriptor length %zu", len), -1;
            r.irq_mask = (uint16_t)acpi_reader_le(d, 2);
            r.irq_flags = len == 3 ? d[2] : 0x01;   /* default: edge, high */
            break;
        case 0x08:                              /* I/O port */
            if (len != 7)
                return fail(err, errlen, "IO descriptor length %zu", len), -1;
            r.io_min = (uint16_t)acpi_reader_le(d + 1, 2);
            r.io_max = (uint16_t)acpi_reader_le(d + 3, 2);
            r.io_align = d[5];
            r.io_len = d[6];
            break;
        case 0x86:                              /* 32-bit fixed memory */
            if (len != 9)
                return fail(err, errlen, "Memory32Fixed length %zu", len), -1;
            r.mem_writable = d[0] & 1;
            r.mem_base = (uint32_t)acpi_reader_le(d + 1, 4);
            r.mem_len = (uint32_t)acpi_reader_le(d + 5, 4);
            break;
        case 0x87:                              /* DWord address space */
        case 0x88: {                            /* Word address space */
            unsigned w = r.tag == 0x87 ? 4 : 2;
            if (len < 3 + 5 * w)
                return fail(err, errlen, "address descriptor length %zu", len), -1;
            r.addr_type = d[0];
            r.addr_general = d[1];
            r.addr_specific = d[2];
            r.addr_min = acpi_reader_le(d + 3 + w, w);
            r.addr_max = acpi_reader_le(d + 3 + 2 * w, w);
            r.addr_len = acpi_reader_le(d + 3 + 4 * w, w);
            break;
        }
        case 0x89:                              /* extended interrupt */
            if (len < 6 || d[1] < 1 || len < 2 + 4u * d[1])
                return fail(err, errlen, "extended IRQ length %zu", len), -1;
            r.irq_flags = d[0];
            r.gsi = (uint32_t)acpi_reader_le(d + 2, 4);
            break;
        default:
            return fail(err, errlen, "unknown descriptor 0x%02x", p[0]), -1;
        }
        if (n < max)
            out[n] = r;
        n++;
        p = d + len;
    }
    return fail(err, errlen, "no end tag"), -1;
}
