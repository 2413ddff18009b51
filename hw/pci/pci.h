/*
 * PCI bus 0 and its functions: 256-byte configuration spaces with writable
 * masks, BARs mapped into the memory or I/O address space when decoding is
 * enabled, and INTx pins routed by the bus's owner (the PIIX ISA bridge).
 */
#ifndef HW_PCI_PCI_H
#define HW_PCI_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include "mimic/machine.h"

#define PCI_MAX_DEVFN 256
#define PCI_NUM_BARS 6
#define PCI_CONFIG_SIZE 256

/* Configuration-space offsets (PCI Local Bus Specification 3.0, 6.1). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0a
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS_INTERRUPT 0x8

typedef struct PciBus PciBus;
typedef struct PciDevice PciDevice;

typedef struct PciBar {
    uint64_t size;            /* 0: unused */
    bool io;                  /* I/O space, else memory */
    bool is64;
    bool prefetch;
    const MemoryRegionOps *ops;
    void *opaque;
    MemoryRegion *mr;         /* mapped while decoding is enabled */
} PciBar;

struct PciDevice {
    PciBus *bus;
    int devfn;
    const char *name;
    uint8_t config[PCI_CONFIG_SIZE];
    uint8_t wmask[PCI_CONFIG_SIZE];    /* bits the guest may write */
    uint8_t w1cmask[PCI_CONFIG_SIZE];  /* write-1-to-clear bits */
    PciBar bar[PCI_NUM_BARS];
    int irq_level;
    /* Optional hooks for device-specific registers (after the generic
     * handling of the standard header). */
    void (*config_written)(PciDevice *d, unsigned offset, unsigned len);
    void *opaque;
};

/* The bus's owner turns (devfn, pin 0..3, level) into an interrupt. */
typedef void (*PciRouteIrq)(void *opaque, int devfn, int pin, int level);

PciBus *pci_bus_create(Machine *m);
void pci_bus_set_irq_router(PciBus *bus, PciRouteIrq route, void *opaque);
PciDevice *pci_bus_device(PciBus *bus, int devfn);
/* Byte accesses to port 0xCF9 (the PIIX reset control register). */
void pci_bus_set_cf9_handler(PciBus *bus, const MemoryRegionOps *ops, void *opaque);

/* Claim devfn (-1: first free slot, function 0) for a new function. */
PciDevice *pci_device_create(PciBus *bus, int devfn, const char *name, uint16_t vendor,
                             uint16_t device, uint32_t class_rev /* class<<8 | rev */);
void pci_device_set_bar(PciDevice *d, int n, uint64_t size, bool io,
                        const MemoryRegionOps *ops, void *opaque);
void pci_device_set_irq(PciDevice *d, int level);   /* INTx of the device's pin */

uint32_t pci_config_read(PciDevice *d, unsigned offset, unsigned len);
void pci_config_write(PciDevice *d, unsigned offset, uint32_t value, unsigned len);

static inline void pci_set_word(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline uint16_t pci_get_word(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline void pci_set_long(uint8_t *p, uint32_t v)
{
    pci_set_word(p, (uint16_t)v);
    pci_set_word(p + 2, (uint16_t)(v >> 16));
}
static inline uint32_t pci_get_long(const uint8_t *p) { return pci_get_word(p) | (uint32_t)pci_get_word(p + 2) << 16; }

#endif
