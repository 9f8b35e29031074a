/* test_dlopen_tls.c - a library loaded with dlopen (ctypes, Julia's ccall, a plugin host) gets
   its thread-local storage (the message behind sp_last_error()) from the C library's malloc at
   each thread's first call into it, outside the description's allocator; after that one call
   the thread's running calls allocate nothing (the header's "Memory"). This program defines
   malloc and its kin over glibc's own (__libc_malloc, ...), which the dynamic loader and the
   library then call (ELF interposition), loads the library given as argv[1] with dlopen and
   counts the allocations in a new thread: none after a first sp_last_error(). */
#define _GNU_SOURCE /* RTLD_NOW with -std=c99 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <sparseprop/sparseprop.h>

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t count, size_t size);
void *__libc_realloc(void *p, size_t size);
void *__libc_memalign(size_t align, size_t size);
void __libc_free(void *p);

/* Allocations counted while g_counting is set (by the thread under test only). */
static volatile int g_counting = 0;
static volatile long g_allocations = 0;

static void *counted(void *p) {
  if (g_counting) ++g_allocations;
  return p;
}
void *malloc(size_t size) { return counted(__libc_malloc(size)); }
void *calloc(size_t count, size_t size) { return counted(__libc_calloc(count, size)); }
void *realloc(void *p, size_t size) { return counted(__libc_realloc(p, size)); }
void *memalign(size_t align, size_t size) { return counted(__libc_memalign(align, size)); }
void *aligned_alloc(size_t align, size_t size) { return counted(__libc_memalign(align, size)); }
int posix_memalign(void **out, size_t align, size_t size) {
  void *p = counted(__libc_memalign(align, size));
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
void free(void *p) { __libc_free(p); }

/* The functions used, looked up in the loaded library. */
static struct {
  void (*desc_init)(sp_network_desc *, size_t);
  sp_status (*create)(const sp_network_desc *, sp_network **);
  sp_status (*run)(sp_network *, double, sp_spike *, size_t, size_t *);
  sp_status (*step)(sp_network *, sp_spike *);
  sp_status (*voltage)(const sp_network *, uint32_t, double *);
  sp_status (*record)(sp_network *, size_t);
  const char *(*last_error)(void);
  void (*destroy)(sp_network *);
} g_sp;

static const char *g_library = NULL;

static void *symbol(void *lib, const char *name) {
  void *f = dlsym(lib, name);
  if (!f) fail_msg("dlsym %s: %s", name, dlerror());
  return f;
}

typedef struct job {
  sp_network *net;
  int warm_up;
  long allocations;
} job;

/* In a new thread: (warm-up) sp_last_error(); then, counted, a run, a step, a voltage read, a
   refused call and its message. */
static void *run_job(void *arg) {
  job *j = arg;
  sp_spike spikes[16], one;
  size_t count = 0;
  double v;
  if (j->warm_up) (void)g_sp.last_error();
  g_allocations = 0;
  g_counting = 1;
  (void)g_sp.run(j->net, 0.05, spikes, 16, &count);
  (void)g_sp.step(j->net, &one);
  (void)g_sp.voltage(j->net, 0, &v);
  (void)g_sp.voltage(j->net, 1000000, &v); /* refused: a message is written */
  (void)g_sp.last_error();
  g_counting = 0;
  j->allocations = g_allocations;
  return NULL;
}

static long allocations_in_new_thread(sp_network *net, int warm_up) {
  pthread_t t;
  job j;
  j.net = net;
  j.warm_up = warm_up;
  j.allocations = -1;
  assert_int_equal(pthread_create(&t, NULL, run_job, &j), 0);
  assert_int_equal(pthread_join(t, NULL), 0);
  return j.allocations;
}

static void test_no_allocation_after_a_first_call(void **state) {
  void *lib = dlopen(g_library, RTLD_NOW | RTLD_LOCAL);
  sp_network_desc d;
  sp_network *net = NULL;
  long first, warmed;
  int k;
  (void)state;
  if (!lib) fail_msg("dlopen %s: %s", g_library, dlerror());
  *(void **)&g_sp.desc_init = symbol(lib, "sp_network_desc_init");
  *(void **)&g_sp.create = symbol(lib, "sp_network_create");
  *(void **)&g_sp.run = symbol(lib, "sp_run");
  *(void **)&g_sp.step = symbol(lib, "sp_step");
  *(void **)&g_sp.voltage = symbol(lib, "sp_voltage");
  *(void **)&g_sp.last_error = symbol(lib, "sp_last_error");
  *(void **)&g_sp.record = symbol(lib, "sp_record");
  *(void **)&g_sp.destroy = symbol(lib, "sp_network_destroy");
  g_sp.desc_init(&d, sizeof d);
  d.n = 1000;
  d.drive = 1.1;
  d.recurrent.k = 50;
  d.recurrent.weight = -0.1;
  if (g_sp.create(&d, &net) != SP_OK) fail_msg("create: %s", g_sp.last_error());
  /* Without a warm-up the thread's first call may allocate its thread-local storage (glibc
     does); with one, nothing allocates, in several fresh threads. */
  first = allocations_in_new_thread(net, 0);
  print_message("# first call in a new thread, no warm-up: %ld allocation(s)\n", first);
  for (k = 0; k < 3; ++k) {
    warmed = allocations_in_new_thread(net, 1);
    if (warmed != 0) fail_msg("thread %d: %ld allocation(s) after sp_last_error()", k, warmed);
  }
  /* The count sees the library's own allocations (its default allocator's aligned_alloc):
     sp_record allocates the tape. */
  g_allocations = 0;
  g_counting = 1;
  assert_int_equal(g_sp.record(net, 100), SP_OK);
  g_counting = 0;
  assert_true(g_allocations > 0);
  g_sp.destroy(net);
  dlclose(lib);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_allocation_after_a_first_call),
  };
  if (argc != 2) {
    fprintf(stderr, "usage: %s LIBSPARSEPROP.so\n", argv[0]);
    return 2;
  }
  g_library = argv[1];
  return cmocka_run_group_tests(tests, NULL, NULL);
}
