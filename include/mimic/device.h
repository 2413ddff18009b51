/*
 * The device registry behind `-device NAME,prop=val,...` and `-device help`.
 * A user-creatable device type declares its properties; the registry checks
 * the user's properties against that list before calling create().
 * Devices register themselves from their own file with DEVICE_REGISTER.
 */
#ifndef MIMIC_DEVICE_H
#define MIMIC_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct Machine Machine;

typedef enum PropType { PROP_U64, PROP_BOOL, PROP_STRING } PropType;

typedef struct DeviceProp {
    const char *name;
    PropType type;
    const char *default_value;   /* NULL: no default (optional unless required) */
    const char *help;
} DeviceProp;

#define DEVICE_MAX_PROPS 16

/* Parsed "k=v,k=v" checked against a type's props. */
typedef struct DeviceProps {
    const struct DeviceType *type;
    int count;
    const char *key[DEVICE_MAX_PROPS];
    char *value[DEVICE_MAX_PROPS];
} DeviceProps;

typedef struct DeviceType {
    const char *name;
    const char *desc;
    const char *bus;                 /* "isa", "pci", "sys" */
    const DeviceProp *props;         /* terminated by { NULL } */
    /* Create and wire the device into m. Errors in properties: fatal(). */
    void (*create)(Machine *m, const DeviceProps *p);
} DeviceType;

void device_register(const DeviceType *type);
const DeviceType *device_find(const char *name);
void device_print_list(void);
void device_print_props(const DeviceType *type);

/* Parse a -device spec and check it against the type (errors are fatal,
 * one line; ",help" prints the properties and exits), then create it. */
DeviceProps *device_parse_spec(const char *spec);
void device_create(Machine *m, const DeviceProps *p);

uint64_t device_prop_u64(const DeviceProps *p, const char *name);
bool device_prop_bool(const DeviceProps *p, const char *name);
const char *device_prop_str(const DeviceProps *p, const char *name); /* NULL if unset */

#define DEVICE_REGISTER(type_var) \
    static void __attribute__((constructor)) device_register_##type_var(void) \
    { device_register(&type_var); }
#define MACHINE_REGISTER(type_var) \
    static void __attribute__((constructor)) machine_register_##type_var(void) \
    { machine_register(&type_var); }

#endif
