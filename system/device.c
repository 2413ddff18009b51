/*
 * The -device registry: types register from their own files; a spec
 * "name,key=value,..." is checked against the type's declared properties
 * before the type's create() runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/device.h"
#include "mimic/log.h"

#define MAX_DEVICE_TYPES 64

static const DeviceType *device_types[MAX_DEVICE_TYPES];
static int ndevice_types;

void device_register(const DeviceType *type)
{
    if (ndevice_types == MAX_DEVICE_TYPES)
        fatal("too many device types");
    device_types[ndevice_types++] = type;
}

const DeviceType *device_find(const char *name)
{
    for (int i = 0; i < ndevice_types; i++)
        if (!strcmp(device_types[i]->name, name))
            return device_types[i];
    return NULL;
}

void device_print_list(void)
{
    printf("Devices available with -device:\n");
    for (int i = 0; i < ndevice_types; i++)
        printf("  %-20s bus %-4s %s\n", device_types[i]->name, device_types[i]->bus,
               device_types[i]->desc);
}

void device_print_props(const DeviceType *type)
{
    printf("%s options:\n", type->name);
    for (const DeviceProp *p = type->props; p && p->name; p++)
        printf("  %-12s %-7s %s%s%s\n", p->name,
               p->type == PROP_U64 ? "<uint>" : p->type == PROP_BOOL ? "<bool>" : "<str>",
               p->help ? p->help : "", p->default_value ? " (default " : "",
               p->default_value ? p->default_value : "");
}

static const DeviceProp *prop_decl(const DeviceType *type, const char *name)
{
    for (const DeviceProp *p = type->props; p && p->name; p++)
        if (!strcmp(p->name, name))
            return p;
    return NULL;
}

/* Value of a property as text: the user's, else the declared default. */
static const char *prop_text(const DeviceProps *dp, const char *name, const DeviceProp **decl)
{
    *decl = prop_decl(dp->type, name);
    if (!*decl)
        fatal("device %s: internal error: undeclared property %s", dp->type->name, name);
    for (int i = 0; i < dp->count; i++)
        if (!strcmp(dp->key[i], name))
            return dp->value[i];
    return (*decl)->default_value;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!*s || *s == '-')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool parse_bool(const char *s, bool *out)
{
    if (!strcmp(s, "on") || !strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "1"))
        *out = true;
    else if (!strcmp(s, "off") || !strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "0"))
        *out = false;
    else
        return false;
    return true;
}

uint64_t device_prop_u64(const DeviceProps *p, const char *name)
{
    const DeviceProp *decl;
    const char *s = prop_text(p, name, &decl);
    uint64_t v = 0;
    if (s && !parse_u64(s, &v))
        fatal("-device %s: %s=%s: not a number", p->type->name, name, s);
    return v;
}

bool device_prop_bool(const DeviceProps *p, const char *name)
{
    const DeviceProp *decl;
    const char *s = prop_text(p, name, &decl);
    bool v = false;
    if (s && !parse_bool(s, &v))
        fatal("-device %s: %s=%s: expected on or off", p->type->name, name, s);
    return v;
}

const char *device_prop_str(const DeviceProps *p, const char *name)
{
    const DeviceProp *decl;
    return prop_text(p, name, &decl);
}

DeviceProps *device_parse_spec(const char *spec)
{
    char *copy = strdup(spec);
    if (!copy)
        fatal("out of memory");
    char *save = NULL;
    char *name = strtok_r(copy, ",", &save);
    if (!name || !*name)
        fatal("-device: missing device name (try -device help)");
    const DeviceType *type = device_find(name);
    if (!type)
        fatal("-device %s: unknown device (try -device help)", name);
    DeviceProps *pp = calloc(1, sizeof(*pp));
    if (!pp)
        fatal("out of memory");
    DeviceProps props = { .type = type };
    bool want_help = false;
    for (char *kv = strtok_r(NULL, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        if (!strcmp(kv, "help") || !strcmp(kv, "?")) {
            want_help = true;
            continue;
        }
        char *eq = strchr(kv, '=');
        if (!eq)
            fatal("-device %s: '%s' is not key=value", name, kv);
        *eq = '\0';
        const DeviceProp *decl = prop_decl(type, kv);
        if (!decl)
            fatal("-device %s: unknown property '%s' (try -device %s,help)", name, kv, name);
        if (props.count == DEVICE_MAX_PROPS)
            fatal("-device %s: too many properties", name);
        uint64_t u;
        bool b;
        if (decl->type == PROP_U64 && !parse_u64(eq + 1, &u))
            fatal("-device %s: %s=%s: not a number", name, kv, eq + 1);
        if (decl->type == PROP_BOOL && !parse_bool(eq + 1, &b))
            fatal("-device %s: %s=%s: expected on or off", name, kv, eq + 1);
        props.key[props.count] = kv;
        props.value[props.count] = eq + 1;
        props.count++;
    }
    if (want_help) {
        device_print_props(type);
        exit(0);
    }
    /* Property strings point into the copy, which lives with the props. */
    *pp = props;
    return pp;
}

void device_create(Machine *m, const DeviceProps *p)
{
    p->type->create(m, p);
}
