// SPDX-License-Identifier: GPL-2.0
/* rdmsr MSR [CPU]: print the MSR's value via /dev/cpu/N/msr, as 0x%llx. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char path[64];
	uint64_t val;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: rdmsr MSR [CPU]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/dev/cpu/%s/msr", argc > 2 ? argv[2] : "0");
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, &val, sizeof(val), strtoul(argv[1], NULL, 0)) != sizeof(val)) {
		perror(path);
		return 1;
	}
	printf("0x%llx\n", (unsigned long long)val);
	return 0;
}
