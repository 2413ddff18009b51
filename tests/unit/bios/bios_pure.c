/*
 * The BIOS's pure-logic files, compiled for the host so the tests in this
 * folder can call them: the BIOS itself is a freestanding 32-bit image that
 * libmimic does not contain. Including the sources here (instead of listing
 * them in the Makefile) keeps the BIOS's file list in bios/Makefile only.
 */
#include "bios/e820.c"
#include "bios/geometry.c"
#include "bios/eltorito.c"
#include "bios/romfile_loader.c"
#include "bios/mtrr.c"
