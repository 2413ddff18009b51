/* cpubench-host: runs one cpubench kernel natively, linked against the very
 * kernels.o the guest payload carries, and prints its checksum.  bench/
 * runs it under valgrind's callgrind (--toggle-collect=kernel_NAME) to count
 * the instructions the guest executes, and natively for the reference
 * checksum.  Usage: cpubench-host sieve|crc32|interp REPS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s sieve|crc32|interp REPS\n", argv[0]);
        return 2;
    }
    char *end;
    unsigned long reps = strtoul(argv[2], &end, 10);
    if (*end || reps == 0 || reps > 100000) {
        fprintf(stderr, "%s: REPS must be 1..100000\n", argv[0]);
        return 2;
    }
    uint64_t sum;
    if (strcmp(argv[1], "sieve") == 0 || strcmp(argv[1], "crc32") == 0) {
        uint8_t *buf = malloc(SIEVE_LIMIT > CRC_BUFFER_SIZE ? SIEVE_LIMIT : CRC_BUFFER_SIZE);
        if (!buf) {
            fprintf(stderr, "%s: out of memory\n", argv[0]);
            return 1;
        }
        sum = argv[1][0] == 's' ? kernel_sieve(buf, (uint32_t)reps) : kernel_crc32(buf, (uint32_t)reps);
        free(buf);
    } else if (strcmp(argv[1], "interp") == 0) {
        sum = kernel_interp((uint32_t)reps);
    } else {
        fprintf(stderr, "%s: unknown kernel '%s'\n", argv[0], argv[1]);
        return 2;
    }
    printf("kernel=%s reps=%lu checksum=0x%016llx\n", argv[1], reps, (unsigned long long)sum);
    return 0;
}
