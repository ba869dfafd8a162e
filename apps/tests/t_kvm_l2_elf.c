/*
 * t_kvm_l2_elf: the kvm platform's loader of unmodified static programs
 * (platform/kvm/l2/l2_elf.c), run on the host.
 *
 * The loader is freestanding and reaches memory only through operations
 * its caller hands in, so it runs here unchanged: real static programs
 * (built in the test with Debian's musl-gcc, static and static-pie, and
 * busybox from busybox-static, a static glibc binary) are
 *  - loaded into a buffer and compared byte by byte with what the ELF
 *    headers, read here with the host's <elf.h>, say should be where;
 *  - given an initial stack that is then walked as libc walks it;
 *  - loaded into a child process at their addresses with their stack and
 *    started: the program, which parses argv, envp and auxv with its own
 *    libc, prints what it found and exits with a code chosen here.
 * Skipped with the reason when musl-gcc or busybox is missing.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atf-c.h>

#include "l2_elf.h"

/* A program that checks its own start: argv, envp, auxv, TLS, bss. */
static const char prog_src[] =
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "#include <sys/auxv.h>\n"
    "static _Thread_local int tls_init = 1234;\n"
    "static _Thread_local int tls_zero;\n"
    "static char bss[100000];\n"
    "int main(int argc, char **argv) {\n"
    "  unsigned char *r = (unsigned char *)getauxval(AT_RANDOM);\n"
    "  size_t i; int nz = 0;\n"
    "  for (i = 0; i < sizeof(bss); i++) nz |= bss[i];\n"
    "  printf(\"argc=%d\", argc);\n"
    "  for (i = 0; i < (size_t)argc; i++) printf(\" [%s]\", argv[i]);\n"
    "  printf(\"\\nenv=%s\\n\", getenv(\"L2_TEST\"));\n"
    "  printf(\"pagesz=%lu random=%02x%02x execfn=%s\\n\",\n"
    "      getauxval(AT_PAGESZ), r[0], r[15], (char *)getauxval(AT_EXECFN));\n"
    "  printf(\"tls=%d,%d bss=%d\\n\", tls_init, tls_zero, nz);\n"
    "  tls_zero = 5; bss[99999] = 1;\n"
    "  return argc > 1 ? atoi(argv[argc - 1]) : 0;\n"
    "}\n";

struct file {
	unsigned char *buf;
	size_t len;
};

static void
read_file(const char *path, struct file *f)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	ATF_REQUIRE_MSG(fd >= 0, "open %s: %s", path, strerror(errno));
	ATF_REQUIRE(fstat(fd, &st) == 0);
	f->len = (size_t)st.st_size;
	f->buf = malloc(f->len);
	ATF_REQUIRE(f->buf != NULL);
	ATF_REQUIRE(read(fd, f->buf, f->len) == (ssize_t)f->len);
	close(fd);
}

/* Builds the test program with musl-gcc into path, static (pie 0) or
 * static-pie (pie 1); skips without musl-gcc. */
static void
build_prog(int pie, const char *path)
{
	char cmd[1024];
	FILE *fp;

	if (system("command -v musl-gcc >/dev/null 2>&1") != 0)
		atf_tc_skip("musl-gcc is missing (Debian package musl-tools)");
	fp = fopen("prog.c", "w");
	ATF_REQUIRE(fp != NULL);
	fputs(prog_src, fp);
	fclose(fp);
	if (!pie)
		snprintf(cmd, sizeof(cmd), "musl-gcc -static -O1 -o %s prog.c",
		    path);
	else
		/* Debian's musl-gcc spec knows no -static-pie (it links
		 * Scrt1.o, an interpreter and libc.so): name musl's
		 * self-relocating start file and libc.a. */
		snprintf(cmd, sizeof(cmd), "M=/usr/lib/x86_64-linux-musl; "
		    "musl-gcc -O1 -static-pie -nostartfiles -nostdlib "
		    "-Wl,--no-dynamic-linker -o %s $M/rcrt1.o $M/crti.o "
		    "$(gcc -print-file-name=crtbeginS.o) prog.c $M/libc.a "
		    "$(gcc -print-libgcc-file-name) $M/libc.a "
		    "$(gcc -print-file-name=crtendS.o) $M/crtn.o", path);
	ATF_REQUIRE_MSG(system(cmd) == 0, "%s failed", cmd);
}

/* busybox-static's binary (a static glibc program), read into f. */
static void
read_busybox(struct file *f)
{
	static const char *const paths[] = { "/bin/busybox", "/usr/bin/busybox" };
	struct l2_elf e;
	const char *why;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (access(paths[i], R_OK) != 0)
			continue;
		read_file(paths[i], f);
		/* Only the static one will do. */
		if (l2_elf_parse(f->buf, f->len, &e, &why) == 0)
			return;
		free(f->buf);
	}
	atf_tc_skip("no static busybox (Debian package busybox-static)");
}

/* --- Loading into a buffer ---------------------------------------------- */

/* A buffer standing for [base, base + len) of the program's space; each
 * page records whether it was mapped and its final protection. */
struct bufmem {
	uint64_t base;
	size_t len;
	unsigned char *mem;
	int *prot;		/* per page: -1 unmapped, else L2_PROT_* */
	int nmap;		/* map calls that mapped a page twice */
};

static int
buf_map(void *ctx, uint64_t va, uint64_t len)
{
	struct bufmem *b = ctx;
	uint64_t p;

	if (va < b->base || va + len > b->base + b->len ||
	    (va | len) % L2_PAGE_SIZE != 0)
		return L2_EINVAL;
	for (p = va; p < va + len; p += L2_PAGE_SIZE) {
		size_t i = (p - b->base) / L2_PAGE_SIZE;

		if (b->prot[i] != -1)
			b->nmap++;
		memset(b->mem + (p - b->base), 0, L2_PAGE_SIZE);
		b->prot[i] = L2_PROT_READ | L2_PROT_WRITE;
	}
	return 0;
}

static int
buf_protect(void *ctx, uint64_t va, uint64_t len, int prot)
{
	struct bufmem *b = ctx;
	uint64_t p;

	for (p = va; p < va + len; p += L2_PAGE_SIZE) {
		size_t i = (p - b->base) / L2_PAGE_SIZE;

		if (p < b->base || p >= b->base + b->len || b->prot[i] == -1)
			return L2_ENOMEM;
		b->prot[i] = prot;
	}
	return 0;
}

static void *
buf_ptr(void *ctx, uint64_t va, uint64_t len)
{
	struct bufmem *b = ctx;

	ATF_REQUIRE(va >= b->base && va + len <= b->base + b->len);
	return b->mem + (va - b->base);
}

/* Parses and loads f at bias into a fresh buffer; checks every segment
 * byte against the file as the host's <elf.h> describes it. */
static void
check_load(const struct file *f, uint64_t bias)
{
	struct l2_elf e;
	struct bufmem b;
	struct l2_elf_mem ops = { &b, buf_map, buf_protect, buf_ptr };
	const Elf64_Ehdr *eh = (const void *)f->buf;
	const char *why = NULL;
	size_t i, nload = 0;
	int error;

	error = l2_elf_parse(f->buf, f->len, &e, &why);
	ATF_REQUIRE_MSG(error == 0, "parse: %d %s", error, why);
	ATF_CHECK_EQ(e.pie, eh->e_type == ET_DYN);
	ATF_CHECK_EQ(e.entry, eh->e_entry);
	ATF_CHECK_EQ(e.phnum, eh->e_phnum);

	memset(&b, 0, sizeof(b));
	b.base = e.lo + bias;
	b.len = e.hi - e.lo;
	b.mem = malloc(b.len);
	b.prot = malloc(b.len / L2_PAGE_SIZE * sizeof(int));
	ATF_REQUIRE(b.mem != NULL && b.prot != NULL);
	/* Garbage, so that unzeroed bss would show. */
	memset(b.mem, 0xa5, b.len);
	for (i = 0; i < b.len / L2_PAGE_SIZE; i++)
		b.prot[i] = -1;
	ATF_REQUIRE_EQ(l2_elf_load(&e, bias, &ops), 0);
	ATF_CHECK_EQ(b.nmap, 0);

	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(f->buf + eh->e_phoff +
		    i * sizeof(Elf64_Phdr));
		const unsigned char *m;
		uint64_t p, j;
		int want = 0;

		if (ph->p_type == PT_PHDR)
			ATF_CHECK_EQ(e.phdr, ph->p_vaddr);
		if (ph->p_type != PT_LOAD)
			continue;
		nload++;
		m = b.mem + (ph->p_vaddr + bias - b.base);
		ATF_CHECK_MSG(memcmp(m, f->buf + ph->p_offset,
		    ph->p_filesz) == 0, "segment %zu: file bytes differ", i);
		for (j = ph->p_filesz; j < ph->p_memsz; j++)
			if (m[j] != 0)
				break;
		ATF_CHECK_MSG(j == ph->p_memsz,
		    "segment %zu: byte %#lx of bss not zero", i,
		    (unsigned long)j);
		want = ((ph->p_flags & PF_R) ? L2_PROT_READ : 0) |
		    ((ph->p_flags & PF_W) ? L2_PROT_WRITE : 0) |
		    ((ph->p_flags & PF_X) ? L2_PROT_EXEC : 0);
		for (p = (ph->p_vaddr + bias) & ~(L2_PAGE_SIZE - 1);
		    p < ph->p_vaddr + bias + ph->p_memsz; p += L2_PAGE_SIZE) {
			int got = b.prot[(p - b.base) / L2_PAGE_SIZE];

			ATF_CHECK_MSG((got & want) == want,
			    "segment %zu page %#lx: prot %d, want %d", i,
			    (unsigned long)p, got, want);
		}
	}
	ATF_CHECK_EQ(nload, e.nseg);
	free(b.mem);
	free(b.prot);
}

/* --- The initial stack --------------------------------------------------- */

static void
check_stack(void)
{
	static const char *const argv[] = { "prog", "one", "", "three", NULL };
	static const char *const envp[] = { "A=1", "PATH=/bin", NULL };
	struct l2_stack_info si;
	const uint64_t va = 0x7fff00000000ull;
	size_t len = 8192, i;
	unsigned char *mem = malloc(len);
	uint64_t sp, *w, seen = 0;

	ATF_REQUIRE(mem != NULL);
	memset(&si, 0, sizeof(si));
	si.argv = argv;
	si.envp = envp;
	si.execfn = "/prog";
	si.platform = "x86_64";
	for (i = 0; i < 16; i++)
		si.random[i] = (unsigned char)(i * 7 + 1);
	si.phdr = 0x400040;
	si.phnum = 9;
	si.entry = 0x401000;
	si.hwcap = 0x178bfbff;
	si.clktck = 100;
	ATF_REQUIRE_EQ(l2_stack_build(mem, va, len, &si, &sp), 0);
	ATF_CHECK_EQ(sp % 16, 0);
	ATF_REQUIRE(sp >= va && sp < va + len);

#define AT(a)	((void *)(mem + ((uint64_t)(a) - va)))
	w = AT(sp);
	ATF_CHECK_EQ(w[0], 4);
	for (i = 0; i < 4; i++)
		ATF_CHECK_STREQ((char *)AT(w[1 + i]), argv[i]);
	ATF_CHECK_EQ(w[5], 0);
	ATF_CHECK_STREQ((char *)AT(w[6]), "A=1");
	ATF_CHECK_STREQ((char *)AT(w[7]), "PATH=/bin");
	ATF_CHECK_EQ(w[8], 0);
	for (w += 9; w[0] != AT_NULL; w += 2) {
		ATF_REQUIRE((unsigned char *)w < mem + len);
		if (w[0] < 64)
			seen |= 1ull << w[0];
		switch (w[0]) {
		case AT_PAGESZ: ATF_CHECK_EQ(w[1], 4096); break;
		case AT_PHDR: ATF_CHECK_EQ(w[1], 0x400040); break;
		case AT_PHENT: ATF_CHECK_EQ(w[1], sizeof(Elf64_Phdr)); break;
		case AT_PHNUM: ATF_CHECK_EQ(w[1], 9); break;
		case AT_ENTRY: ATF_CHECK_EQ(w[1], 0x401000); break;
		case AT_HWCAP: ATF_CHECK_EQ(w[1], 0x178bfbff); break;
		case AT_CLKTCK: ATF_CHECK_EQ(w[1], 100); break;
		case AT_SECURE: ATF_CHECK_EQ(w[1], 0); break;
		case AT_RANDOM:
			ATF_CHECK(w[1] % 1 == 0);
			ATF_CHECK(memcmp(AT(w[1]), si.random, 16) == 0);
			break;
		case AT_PLATFORM:
			ATF_CHECK_STREQ((char *)AT(w[1]), "x86_64");
			break;
		case AT_EXECFN:
			ATF_CHECK_STREQ((char *)AT(w[1]), "/prog");
			break;
		}
	}
#undef AT
	ATF_CHECK_EQ(seen & ((1ull << AT_PHDR) | (1ull << AT_PHNUM) |
	    (1ull << AT_PAGESZ) | (1ull << AT_ENTRY) | (1ull << AT_RANDOM) |
	    (1ull << AT_UID) | (1ull << AT_EGID)),
	    (1ull << AT_PHDR) | (1ull << AT_PHNUM) | (1ull << AT_PAGESZ) |
	    (1ull << AT_ENTRY) | (1ull << AT_RANDOM) | (1ull << AT_UID) |
	    (1ull << AT_EGID));

	/* Too small: E2BIG, not an overflow. */
	ATF_CHECK_EQ(l2_stack_build(mem, va, 200, &si, &sp), L2_E2BIG);
	free(mem);
}

/* --- Running: the loaded program in a child process ---------------------- */

static int
host_map(void *ctx, uint64_t va, uint64_t len)
{

	(void)ctx;
	return mmap((void *)va, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) ==
	    (void *)va ? 0 : L2_ENOMEM;
}

static int
host_protect(void *ctx, uint64_t va, uint64_t len, int prot)
{

	(void)ctx;
	return mprotect((void *)va, len, prot) == 0 ? 0 : L2_ENOMEM;
}

static void *
host_ptr(void *ctx, uint64_t va, uint64_t len)
{

	(void)ctx;
	(void)len;
	return (void *)va;
}

/* In a child: loads f with l2's loader and stack, starts it with output
 * to outpath; returns its wait status. */
static int
run_loaded(const struct file *f, const char *const *argv, const char *outpath)
{
	static const char *const envp[] = { "L2_TEST=yes", NULL };
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	ATF_REQUIRE(pid >= 0);
	if (pid == 0) {
		struct l2_elf e;
		struct l2_elf_mem ops = { NULL, host_map, host_protect,
		    host_ptr };
		struct l2_stack_info si;
		const char *why;
		uint64_t bias = 0, sp;
		size_t stacklen = 1 << 20;
		char *stack;
		int fd, i;

		fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(120);
		if (l2_elf_parse(f->buf, f->len, &e, &why) != 0)
			_exit(121);
		if (e.pie) {
			/* Where the host has room for its span. */
			void *r = mmap(NULL, e.hi - e.lo, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (r == MAP_FAILED || munmap(r, e.hi - e.lo) != 0)
				_exit(125);
			bias = (uint64_t)(uintptr_t)r - e.lo;
		}
		if (l2_elf_load(&e, bias, &ops) != 0)
			_exit(122);
		stack = mmap(NULL, stacklen, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (stack == MAP_FAILED)
			_exit(123);
		memset(&si, 0, sizeof(si));
		si.argv = argv;
		si.envp = envp;
		si.execfn = argv[0];
		si.platform = "x86_64";
		for (i = 0; i < 16; i++)
			si.random[i] = (unsigned char)(0x10 + i);
		si.phdr = e.phdr + bias;
		si.phnum = e.phnum;
		si.entry = e.entry + bias;
		si.clktck = 100;
		si.uid = getuid();
		si.gid = getgid();
		if (l2_stack_build(stack + stacklen - 65536,
		    (uint64_t)(uintptr_t)stack + stacklen - 65536, 65536, &si,
		    &sp) != 0)
			_exit(124);
		/* The psABI process entry: %rsp at argc, %rdx 0 (no atexit
		 * function from a dynamic linker). */
		__asm__ volatile("movq %0, %%rsp\n\txorl %%edx, %%edx\n\t"
		    "jmpq *%1" : : "r"(sp), "r"(e.entry + bias) : "memory");
		__builtin_unreachable();
	}
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	return status;
}

static char *
slurp(const char *path)
{
	static char buf[4096];
	FILE *fp = fopen(path, "r");
	size_t n;

	ATF_REQUIRE(fp != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void
check_musl_run(int pie)
{
	static const char *const argv[] = { "/bin/prog", "hello world", "42",
	    NULL };
	struct file f;
	int status;
	char *out;

	build_prog(pie, "prog");
	read_file("prog", &f);
	check_load(&f, 0);
	status = run_loaded(&f, argv, "out");
	out = slurp("out");
	ATF_REQUIRE_MSG(WIFEXITED(status), "status %#x, output:\n%s", status,
	    out);
	ATF_CHECK_EQ_MSG(WEXITSTATUS(status), 42, "output:\n%s", out);
	ATF_CHECK_MSG(strstr(out, "argc=3 [/bin/prog] [hello world] [42]\n")
	    != NULL, "output:\n%s", out);
	ATF_CHECK_MSG(strstr(out, "env=yes\n") != NULL, "output:\n%s", out);
	ATF_CHECK_MSG(strstr(out, "pagesz=4096 random=101f execfn=/bin/prog\n")
	    != NULL, "output:\n%s", out);
	ATF_CHECK_MSG(strstr(out, "tls=1234,0 bss=0\n") != NULL,
	    "output:\n%s", out);
	free(f.buf);
}

ATF_TC_WITHOUT_HEAD(musl_static);
ATF_TC_BODY(musl_static, tc)
{

	check_musl_run(0);
}

ATF_TC_WITHOUT_HEAD(musl_static_pie);
ATF_TC_BODY(musl_static_pie, tc)
{
	struct file f;

	check_musl_run(1);
	/* A static-pie goes anywhere: loading at another base must give
	 * the same bytes there. */
	read_file("prog", &f);
	check_load(&f, 0x7f0000000000ull);
	free(f.buf);
}

ATF_TC_WITHOUT_HEAD(busybox_glibc);
ATF_TC_BODY(busybox_glibc, tc)
{
	static const char *const echo[] = { "busybox", "echo", "from", "l2",
	    NULL };
	static const char *const sh[] = { "busybox", "sh", "-c",
	    "x=$((6 * 7)); echo \"$x ${L2_TEST}\"; exit 9", NULL };
	struct file f;
	int status;

	read_busybox(&f);
	check_load(&f, 0);
	status = run_loaded(&f, echo, "out");
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %#x", status);
	ATF_CHECK_STREQ(slurp("out"), "from l2\n");
	status = run_loaded(&f, sh, "out");
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 9,
	    "status %#x", status);
	ATF_CHECK_STREQ(slurp("out"), "42 yes\n");
	free(f.buf);
}

ATF_TC_WITHOUT_HEAD(stack);
ATF_TC_BODY(stack, tc)
{

	check_stack();
}

ATF_TC_WITHOUT_HEAD(refused);
ATF_TC_BODY(refused, tc)
{
	struct l2_elf e;
	struct file f;
	const char *why;
	unsigned char *copy;
	Elf64_Ehdr *eh;

	/* A dynamic program: named as such. */
	read_file("/bin/sh", &f);
	ATF_CHECK_EQ(l2_elf_parse(f.buf, f.len, &e, &why), L2_ENOEXEC);
	ATF_CHECK_MSG(strstr(why, "dynamically linked") != NULL, "%s", why);
	free(f.buf);

	build_prog(0, "prog");
	read_file("prog", &f);
	ATF_REQUIRE_EQ(l2_elf_parse(f.buf, f.len, &e, &why), 0);
	/* Not ELF, truncated anywhere: refused, never read past the end. */
	ATF_CHECK_EQ(l2_elf_parse("#!/bin/sh\n", 10, &e, &why), L2_ENOEXEC);
	for (size_t n = 0; n < 4096; n += 13) {
		copy = malloc(n ? n : 1);
		memcpy(copy, f.buf, n);
		ATF_CHECK_EQ_MSG(l2_elf_parse(copy, n, &e, &why), L2_ENOEXEC,
		    "truncated to %zu bytes", n);
		free(copy);
	}
	/* Another machine. */
	copy = malloc(f.len);
	memcpy(copy, f.buf, f.len);
	eh = (Elf64_Ehdr *)copy;
	eh->e_machine = EM_AARCH64;
	ATF_CHECK_EQ(l2_elf_parse(copy, f.len, &e, &why), L2_ENOEXEC);
	/* A segment reaching past the file. */
	memcpy(copy, f.buf, f.len);
	for (int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr *ph = (Elf64_Phdr *)(copy + eh->e_phoff +
		    (size_t)i * sizeof(*ph));

		if (ph->p_type == PT_LOAD) {
			ph->p_filesz = f.len + 1;
			ph->p_memsz = f.len * 2;
			break;
		}
	}
	ATF_CHECK_EQ(l2_elf_parse(copy, f.len, &e, &why), L2_ENOEXEC);
	free(copy);
	free(f.buf);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, stack);
	ATF_TP_ADD_TC(tp, musl_static);
	ATF_TP_ADD_TC(tp, musl_static_pie);
	ATF_TP_ADD_TC(tp, busybox_glibc);
	ATF_TP_ADD_TC(tp, refused);
	return atf_no_error();
}
