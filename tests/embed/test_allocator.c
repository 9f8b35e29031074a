/*
 * test_allocator.c - the embedding contract on memory (src/ARCHITECTURE.md, Memory and embedding):
 *
 *  - sp_network_memory(d) is exactly what sp_network_create(d) requests from the allocator;
 *  - after create, stepping, running, inputs, drive changes, voltages, parameters, rewind,
 *    save-to-buffer and the backward pass allocate nothing; sp_record allocates (counted);
 *  - sp_network_destroy frees everything (and cmocka's test_malloc/test_free see no leak);
 *  - every allocation of create, sp_record and sp_load fails in turn: SP_ERR_NOMEM,
 *    *out == NULL, nothing leaked, and a network whose sp_record failed keeps working;
 *  - sp_save_file's temporary buffer is freed, and its failure leaves the network as it was;
 *  - bytes per neuron of the paper's balanced network (printed for the notes).
 *
 * The allocator routes through test_malloc/test_free, over-allocates and aligns by hand (the
 * library asks for up to 64-byte alignment), and checks that free gets back the pointer and
 * the size that alloc handed out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "../skip.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <sparseprop/sparseprop.h>

/* ---------------------------------------------------------------------------------------- */
/* A counting, checking, optionally failing allocator                                        */

typedef struct counter {
  size_t allocs; /* successful allocations */
  size_t frees;
  size_t attempts;   /* calls to alloc, failed ones included */
  size_t bytes;      /* sum of the sizes requested by successful allocations */
  size_t live_bytes; /* requested bytes not yet freed */
  size_t live_blocks;
  long fail_at;     /* the attempt (0-based) that fails, or -1 */
  size_t bad_align; /* requests with an alignment that is not a power of two <= 64 */
  size_t bad_free;  /* frees whose size differs from the one requested */
} counter;

/* Stored just before the block handed out. */
typedef struct block_header {
  void *raw;
  size_t size;
  size_t magic;
} block_header;

#define HEADER_MAGIC ((size_t)0x5350616c6c6f63ull) /* "SPalloc" */

/* sp_record's largest max_spikes (header): 2^31 - 33, the tape's 32-bit event count, or with a
   32-bit size_t SIZE_MAX / 256. */
#if SIZE_MAX > 0xffffffffu
static const size_t largest_max_spikes = (size_t)2147483615u;
#else
static const size_t largest_max_spikes = SIZE_MAX >> 8;
#endif

static void counter_init(counter *c) {
  memset(c, 0, sizeof *c);
  c->fail_at = -1;
}

static void *counting_alloc(void *ctx, size_t size, size_t align) {
  counter *c = (counter *)ctx;
  unsigned char *raw;
  uintptr_t p;
  block_header h;
  long attempt = (long)c->attempts++;
  if (align == 0 || (align & (align - 1)) != 0 || align > 64) c->bad_align++;
  if (align < sizeof(void *)) align = sizeof(void *);
  if (c->fail_at >= 0 && attempt == c->fail_at) return NULL;
  raw = (unsigned char *)test_malloc(size + align + sizeof(block_header));
  if (!raw) return NULL;
  p = ((uintptr_t)raw + sizeof(block_header) + align - 1) & ~(uintptr_t)(align - 1);
  h.raw = raw;
  h.size = size;
  h.magic = HEADER_MAGIC;
  memcpy((unsigned char *)p - sizeof h, &h, sizeof h);
  c->allocs++;
  c->bytes += size;
  c->live_bytes += size;
  c->live_blocks++;
  return (void *)p;
}

static void counting_free(void *ctx, void *ptr, size_t size) {
  counter *c = (counter *)ctx;
  block_header h;
  if (!ptr) return;
  memcpy(&h, (unsigned char *)ptr - sizeof h, sizeof h);
  assert_true(h.magic == HEADER_MAGIC); /* a pointer this allocator handed out */
  if (h.size != size) c->bad_free++;
  c->frees++;
  c->live_bytes -= h.size;
  c->live_blocks--;
  test_free(h.raw);
}

static sp_allocator allocator_for(counter *c) {
  sp_allocator a;
  a.alloc = counting_alloc;
  a.free = counting_free;
  a.ctx = c;
  return a;
}

/* ---------------------------------------------------------------------------------------- */
/* Descriptions                                                                              */

/* Deterministic pseudo-random numbers for building connectivity (splitmix64). */
static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static double rng_uniform(uint64_t *s) {
  return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* Explicit CSR storage owned by the test. */
typedef struct csr {
  uint64_t *row_ptr;
  uint32_t *targets;
  double *weights;
} csr;

/* Sources 0..n_src-1, each with a row length 0..2k-1 (so rows differ), random targets < n. */
static csr csr_make(uint32_t n_src, uint32_t n, uint32_t k, int with_weights, uint64_t seed) {
  csr m;
  uint64_t s = seed, nnz = 0;
  uint32_t j;
  m.row_ptr = (uint64_t *)test_malloc(sizeof(uint64_t) * ((size_t)n_src + 1));
  m.row_ptr[0] = 0;
  for (j = 0; j < n_src; ++j) m.row_ptr[j + 1] = m.row_ptr[j] + rng_next(&s) % (2u * k);
  nnz = m.row_ptr[n_src];
  m.targets = (uint32_t *)test_malloc(sizeof(uint32_t) * (size_t)(nnz ? nnz : 1));
  m.weights = with_weights ? (double *)test_malloc(sizeof(double) * (size_t)(nnz ? nnz : 1)) : NULL;
  for (j = 0; j < nnz; ++j) {
    m.targets[j] = (uint32_t)(rng_next(&s) % n);
    if (m.weights) m.weights[j] = -0.05 + 0.07 * rng_uniform(&s);
  }
  return m;
}
static void csr_free(csr *m) {
  test_free(m->row_ptr);
  test_free(m->targets);
  if (m->weights) test_free(m->weights);
}
static void csr_use(sp_synapses *s, const csr *m, double weight) {
  s->row_ptr = m->row_ptr;
  s->targets = m->targets;
  s->weights = m->weights;
  s->k = 0;
  s->weight = weight;
}

enum conn { CONN_NONE, CONN_EXPLICIT_W, CONN_EXPLICIT_SHARED, CONN_PROCEDURAL };

typedef struct scenario {
  const char *name;
  uint32_t model;
  uint32_t n;
  enum conn recurrent;
  uint32_t n_inputs;
  enum conn inputs;
  int per_neuron_drives; /* desc.drives and desc.v0 set */
  double t_ref;
  uint32_t input_capacity;
} scenario;

/* Everything a description points to, owned by the test. */
typedef struct built {
  sp_network_desc d;
  csr rec, in;
  int has_rec, has_in;
  double *drives, *v0;
} built;

static void build(built *b, const scenario *sc, const sp_allocator *a) {
  uint32_t i;
  uint64_t s = 12345u + sc->n;
  memset(b, 0, sizeof *b);
  sp_network_desc_init(&b->d, sizeof b->d);
  b->d.model = sc->model;
  b->d.n = sc->n;
  b->d.tau = 0.01;
  /* Oscillatory neurons either way, so every network spikes on its own. */
  b->d.drive = sc->model == SP_MODEL_LIF ? 1.2 : 0.5;
  b->d.init_seed = 7;
  b->d.t_ref = sc->t_ref;
  b->d.input_capacity = sc->input_capacity;
  b->d.allocator = a;
  if (sc->per_neuron_drives) {
    b->drives = (double *)test_malloc(sizeof(double) * sc->n);
    b->v0 = (double *)test_malloc(sizeof(double) * sc->n);
    for (i = 0; i < sc->n; ++i) {
      b->drives[i] = b->d.drive + 0.1 * rng_uniform(&s);
      b->v0[i] = sc->model == SP_MODEL_LIF ? 0.9 * rng_uniform(&s) : -2.0 + 4.0 * rng_uniform(&s);
    }
    b->d.drives = b->drives;
    b->d.v0 = b->v0;
  }
  switch (sc->recurrent) {
    case CONN_NONE: break;
    case CONN_EXPLICIT_W:
    case CONN_EXPLICIT_SHARED:
      b->rec = csr_make(sc->n, sc->n, 10, sc->recurrent == CONN_EXPLICIT_W, s);
      b->has_rec = 1;
      csr_use(&b->d.recurrent, &b->rec, -0.02);
      break;
    case CONN_PROCEDURAL:
      b->d.recurrent.k = sc->n > 20 ? 20 : sc->n - 1;
      b->d.recurrent.seed = 99;
      b->d.recurrent.weight = -0.02;
      break;
  }
  b->d.n_inputs = sc->n_inputs;
  switch (sc->inputs) {
    case CONN_NONE: break;
    case CONN_EXPLICIT_W:
    case CONN_EXPLICIT_SHARED:
      b->in = csr_make(sc->n_inputs, sc->n, 30, sc->inputs == CONN_EXPLICIT_W, s + 1);
      b->has_in = 1;
      csr_use(&b->d.inputs, &b->in, 0.1);
      break;
    case CONN_PROCEDURAL:
      b->d.inputs.k = sc->n > 50 ? 50 : sc->n;
      b->d.inputs.seed = 5;
      b->d.inputs.weight = 0.1;
      break;
  }
}

static void unbuild(built *b) {
  if (b->has_rec) csr_free(&b->rec);
  if (b->has_in) csr_free(&b->in);
  if (b->drives) test_free(b->drives);
  if (b->v0) test_free(b->v0);
}

static const scenario scenarios[] = {
    /* name                     model          n     recurrent             n_in inputs               drives t_ref  cap */
    {"lif-1-none", SP_MODEL_LIF, 1, CONN_NONE, 0, CONN_NONE, 0, 0.0, 0},
    {"qif-1-none", SP_MODEL_QIF, 1, CONN_NONE, 0, CONN_NONE, 0, 0.0, 0},
    {"lif-1-explicit-self", SP_MODEL_LIF, 1, CONN_EXPLICIT_W, 1, CONN_EXPLICIT_SHARED, 1, 0.0, 1},
    {"lif-1000-explicit-w", SP_MODEL_LIF, 1000, CONN_EXPLICIT_W, 0, CONN_NONE, 0, 0.0, 0},
    {"lif-1000-explicit-shared", SP_MODEL_LIF, 1000, CONN_EXPLICIT_SHARED, 0, CONN_NONE, 1, 0.0, 0},
    {"qif-1000-explicit-w", SP_MODEL_QIF, 1000, CONN_EXPLICIT_W, 8, CONN_EXPLICIT_W, 0, 0.0, 64},
    {"lif-1000-procedural", SP_MODEL_LIF, 1000, CONN_PROCEDURAL, 0, CONN_NONE, 0, 0.0, 0},
    {"qif-1000-procedural", SP_MODEL_QIF, 1000, CONN_PROCEDURAL, 0, CONN_NONE, 1, 0.0, 0},
    {"lif-1000-proc-proc-in", SP_MODEL_LIF, 1000, CONN_PROCEDURAL, 32, CONN_PROCEDURAL, 1, 0.002,
     100},
    {"lif-1000-proc-expl-in", SP_MODEL_LIF, 1000, CONN_PROCEDURAL, 16, CONN_EXPLICIT_W, 0, 0.0,
     5000},
    {"qif-1000-expl-proc-in", SP_MODEL_QIF, 1000, CONN_EXPLICIT_SHARED, 16, CONN_PROCEDURAL, 0,
     0.001, 0},
};
#define N_SCENARIOS (sizeof scenarios / sizeof scenarios[0])

/* ---------------------------------------------------------------------------------------- */
/* sp_network_memory == bytes requested by create; destroy frees it all                     */

static void test_memory_is_exact(void **state) {
  size_t i;
  (void)state;
  for (i = 0; i < N_SCENARIOS; ++i) {
    counter c;
    sp_allocator a;
    built b;
    size_t predicted = 0;
    sp_network *net = NULL;
    counter_init(&c);
    a = allocator_for(&c);
    build(&b, &scenarios[i], &a);
    assert_int_equal(sp_network_memory(&b.d, &predicted), SP_OK);
    assert_int_equal(c.attempts, 0); /* the query allocates nothing */
    assert_int_equal(sp_network_create(&b.d, &net), SP_OK);
    assert_non_null(net);
    print_message("# %-26s %8zu bytes in %zu allocation(s), %zu predicted\n", scenarios[i].name,
                  c.bytes, c.allocs, predicted);
    assert_true(c.allocs >= 1);
    assert_int_equal(c.bytes, predicted);
    assert_int_equal(c.live_bytes, predicted);
    assert_int_equal(c.bad_align, 0);
    unbuild(&b); /* the network must not keep pointers into the caller's arrays */
    assert_int_equal(sp_step(net, NULL), SP_OK);
    sp_network_destroy(net);
    assert_int_equal(c.frees, c.allocs);
    assert_int_equal(c.live_bytes, 0);
    assert_int_equal(c.live_blocks, 0);
    assert_int_equal(c.bad_free, 0);
  }
}

/* The same query without an allocator in the description (malloc/free) gives the same size:
   the allocator does not enter the layout. */
static void test_memory_independent_of_allocator(void **state) {
  counter c;
  sp_allocator a;
  built b;
  size_t with = 0, without = 0;
  (void)state;
  counter_init(&c);
  a = allocator_for(&c);
  build(&b, &scenarios[8], &a);
  assert_int_equal(sp_network_memory(&b.d, &with), SP_OK);
  b.d.allocator = NULL;
  assert_int_equal(sp_network_memory(&b.d, &without), SP_OK);
  assert_int_equal(with, without);
  assert_true(with > 0);
  unbuild(&b);
}

/* ---------------------------------------------------------------------------------------- */
/* No allocation after create (except sp_record)                                             */

static void test_no_allocation_after_create(void **state) {
  size_t i;
  (void)state;
  for (i = 0; i < N_SCENARIOS; ++i) {
    const scenario *sc = &scenarios[i];
    counter c;
    sp_allocator a;
    built b;
    sp_network *net = NULL;
    size_t after_create, after_record, n_rec = 0, count = 0, len = 0, np = 0, k;
    sp_spike spikes[64];
    double *v, *dl_dt, *params;
    double t;
    unsigned char *saved = NULL;
    sp_status s;

    counter_init(&c);
    a = allocator_for(&c);
    build(&b, sc, &a);
    assert_int_equal(sp_network_create(&b.d, &net), SP_OK);
    after_create = c.attempts;
    v = (double *)test_malloc(sizeof(double) * sc->n);

    /* Forward: step, run (with and without a buffer), inputs, drives, voltages, params. */
    assert_int_equal(sp_step(net, NULL), SP_OK);
    assert_int_equal(sp_step(net, &spikes[0]), SP_OK);
    t = sp_now(net);
    assert_int_equal(sp_run(net, t + 0.02, spikes, 64, &count), SP_OK);
    assert_int_equal(sp_run(net, sp_now(net) + 0.02, NULL, 0, &count), SP_OK);
    for (k = 0; k < sc->n_inputs && k < 8; ++k)
      assert_int_equal(sp_input(net, (uint32_t)k, sp_now(net) + 0.001 * (double)(k + 1)), SP_OK);
    /* A full input queue is refused without allocating more. */
    if (sc->n_inputs && sc->input_capacity && sc->input_capacity <= 100) {
      for (k = 0; k < sc->input_capacity + 1; ++k) {
        s = sp_input(net, 0, sp_now(net) + 0.01);
        if (s != SP_OK) break;
      }
      assert_int_equal(s, SP_ERR_CAPACITY);
    }
    assert_int_equal(sp_set_drive(net, 0, sc->model == SP_MODEL_LIF ? 1.3 : 0.6), SP_OK);
    assert_int_equal(sp_run(net, sp_now(net) + 0.02, spikes, 64, &count), SP_OK);
    assert_int_equal(sp_voltages(net, v, sc->n), SP_OK);
    assert_int_equal(sp_voltage(net, sc->n - 1, &v[0]), SP_OK);
    assert_int_equal(sp_param_count(net, SP_PARAM_DRIVES, &np), SP_OK);
    params = (double *)test_malloc(sizeof(double) * np);
    assert_int_equal(sp_get_params(net, SP_PARAM_DRIVES, params, np), SP_OK);
    assert_int_equal(sp_set_params(net, SP_PARAM_DRIVES, params, np), SP_OK);
    test_free(params);
    assert_int_equal(sp_rewind(net), SP_OK);
    assert_int_equal(sp_run(net, 0.01, spikes, 64, &count), SP_OK);
    /* Saving into a caller's buffer (once save/load exists). */
    s = sp_save(net, NULL, 0, &len);
    if (s == SP_OK) {
      saved = (unsigned char *)test_malloc(len);
      assert_int_equal(sp_save(net, saved, len, &len), SP_OK);
      test_free(saved);
    } else {
      assert_int_equal(s, SP_ERR_UNSUPPORTED);
    }
    assert_int_equal(c.attempts, after_create);

    /* Training: only sp_record allocates. */
    assert_int_equal(sp_record(net, 1000), SP_OK);
    after_record = c.attempts;
    assert_true(after_record > after_create);
    for (k = 0; k < sc->n_inputs && k < 4; ++k)
      assert_int_equal(sp_input(net, (uint32_t)k, sp_now(net) + 0.0005 * (double)(k + 1)), SP_OK);
    n_rec = 0;
    for (k = 0; k < 20; ++k) {
      if (sp_step(net, NULL) != SP_OK) break;
      n_rec++;
    }
    assert_int_equal(n_rec, 20);
    dl_dt = (double *)test_malloc(sizeof(double) * n_rec);
    for (k = 0; k < n_rec; ++k) dl_dt[k] = 1.0;
    for (k = 0; k < sc->n; ++k) v[k] = 0.5;
    assert_int_equal(sp_backward(net, dl_dt, n_rec, v), SP_OK);
    assert_int_equal(sp_get_grads(net, SP_PARAM_DRIVES, v, sc->n), SP_OK);
    assert_int_equal(sp_zero_grads(net), SP_OK);
    assert_int_equal(c.attempts, after_record);
    /* A second recording that fits in the tape allocated above allocates nothing more
       ("allocates the tape once"). */
    assert_int_equal(sp_record(net, 1000), SP_OK);
    for (k = 0; k < n_rec; ++k) assert_int_equal(sp_step(net, NULL), SP_OK);
    assert_int_equal(sp_backward(net, dl_dt, n_rec, NULL), SP_OK);
    assert_int_equal(c.attempts, after_record);
    if (i == 8)
      print_message("# %s: create %zu allocation(s), first sp_record %zu more (%zu bytes total)\n",
                    sc->name, after_create, after_record - after_create, c.bytes);
    test_free(dl_dt);

    sp_network_destroy(net);
    assert_int_equal(c.live_bytes, 0);
    assert_int_equal(c.live_blocks, 0);
    assert_int_equal(c.frees, c.allocs);
    assert_int_equal(c.bad_free, 0);
    assert_int_equal(c.bad_align, 0);
    test_free(v);
    unbuild(&b);
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Fail after N                                                                              */

static void test_create_fail_after_n(void **state) {
  size_t i;
  (void)state;
  for (i = 0; i < N_SCENARIOS; ++i) {
    counter c;
    sp_allocator a;
    built b;
    long n;
    sp_status s = SP_ERR_NOMEM;
    counter_init(&c);
    a = allocator_for(&c);
    build(&b, &scenarios[i], &a);
    for (n = 0; s != SP_OK; ++n) {
      sp_network *net = (sp_network *)&c; /* not NULL: a failure must overwrite it */
      counter_init(&c);
      c.fail_at = n;
      s = sp_network_create(&b.d, &net);
      if (s == SP_OK) {
        assert_non_null(net);
        assert_int_equal(c.attempts, (size_t)n); /* the n-th would have failed: never tried */
        sp_network_destroy(net);
      } else {
        assert_int_equal(s, SP_ERR_NOMEM);
        assert_null(net);
        assert_true(strlen(sp_last_error()) > 0);
        assert_int_equal(c.live_bytes, 0);
        assert_int_equal(c.live_blocks, 0);
        assert_true(n < 100);
      }
      assert_int_equal(c.live_blocks, 0);
      assert_int_equal(c.bad_free, 0);
    }
    assert_true(n >= 2); /* at least the first allocation was made to fail */
    unbuild(&b);
  }
}

/* The spikes a fresh network of the same description produces: what a network must still do
   after a failed call ("a failed call leaves the network exactly as it was"). */
static void test_record_fail_after_n(void **state) {
  size_t i;
  (void)state;
  for (i = 0; i < N_SCENARIOS; ++i) {
    const scenario *sc = &scenarios[i];
    counter c;
    sp_allocator a;
    built b;
    sp_network *ref = NULL;
    sp_spike expect[10];
    long n;
    size_t k;
    sp_status s = SP_ERR_NOMEM;
    counter_init(&c);
    a = allocator_for(&c);
    build(&b, sc, &a);
    assert_int_equal(sp_network_create(&b.d, &ref), SP_OK);
    for (k = 0; k < 5; ++k) assert_int_equal(sp_step(ref, NULL), SP_OK);
    for (k = 0; k < 10; ++k) assert_int_equal(sp_step(ref, &expect[k]), SP_OK);

    for (n = 0; s != SP_OK; ++n) {
      sp_network *net = NULL;
      size_t base, live;
      sp_spike got;
      c.fail_at = -1;
      assert_int_equal(sp_network_create(&b.d, &net), SP_OK);
      for (k = 0; k < 5; ++k) assert_int_equal(sp_step(net, NULL), SP_OK);
      base = c.attempts;
      live = c.live_blocks;
      c.fail_at = (long)base + n;
      s = sp_record(net, 500);
      if (s != SP_OK) {
        assert_int_equal(s, SP_ERR_NOMEM);
        assert_true(n < 100);
        /* "On failure: the network is unchanged": it holds no block the failed call took (the
           gradients' block of a first recording, allocated before the tape, stayed). */
        assert_int_equal(c.live_blocks, live);
        /* Not recording: nothing to run backward over. */
        assert_int_equal(sp_backward(net, NULL, 0, NULL), SP_ERR_STATE);
        /* The network keeps working, exactly as if sp_record had never been called. */
        for (k = 0; k < 10; ++k) {
          assert_int_equal(sp_step(net, &got), SP_OK);
          assert_int_equal(got.neuron, expect[k].neuron);
          assert_true(got.t == expect[k].t);
        }
        /* ...and a later sp_record with a working allocator succeeds. */
        c.fail_at = -1;
        assert_int_equal(sp_record(net, 500), SP_OK);
        assert_int_equal(sp_step(net, NULL), SP_OK);
      } else {
        for (k = 0; k < 10; ++k) {
          assert_int_equal(sp_step(net, &got), SP_OK);
          assert_int_equal(got.neuron, expect[k].neuron);
          assert_true(got.t == expect[k].t);
        }
        if (i == 0) print_message("# sp_record: %ld allocation(s)\n", n);
      }
      sp_network_destroy(net);
      assert_int_equal(c.live_blocks, 1); /* only ref is left */
      assert_int_equal(c.bad_free, 0);
    }
    assert_true(n >= 2);
    sp_network_destroy(ref);
    assert_int_equal(c.live_blocks, 0);
    unbuild(&b);
  }
}

static void test_load_fail_after_n(void **state) {
  size_t i;
  (void)state;
  for (i = 0; i < N_SCENARIOS; ++i) {
    const scenario *sc = &scenarios[i];
    counter c;
    sp_allocator a;
    built b;
    sp_network *orig = NULL;
    unsigned char *buf;
    size_t len = 0, k, j;
    sp_spike expect[10];
    long n;
    sp_status s;
    counter_init(&c);
    a = allocator_for(&c);
    build(&b, sc, &a);
    assert_int_equal(sp_network_create(&b.d, &orig), SP_OK);
    unbuild(&b);
    for (k = 0; k < 7; ++k) assert_int_equal(sp_step(orig, NULL), SP_OK);
    for (k = 0; k < sc->n_inputs && k < 3; ++k)
      assert_int_equal(sp_input(orig, (uint32_t)k, sp_now(orig) + 1e-4 * (double)(k + 1)), SP_OK);
    s = sp_save(orig, NULL, 0, &len);
    if (s == SP_ERR_UNSUPPORTED) {
      sp_network_destroy(orig);
      TEST_SKIP("this network cannot be saved");
    }
    assert_int_equal(s, SP_OK);
    buf = (unsigned char *)test_malloc(len);
    assert_int_equal(sp_save(orig, buf, len, &len), SP_OK);
    for (k = 0; k < 10; ++k) assert_int_equal(sp_step(orig, &expect[k]), SP_OK);
    sp_network_destroy(orig);
    assert_int_equal(c.live_blocks, 0);

    s = SP_ERR_NOMEM;
    for (n = 0; s != SP_OK; ++n) {
      sp_network *net = (sp_network *)&c;
      counter_init(&c);
      c.fail_at = n;
      s = sp_load(buf, len, &a, &net);
      if (s != SP_OK) {
        assert_int_equal(s, SP_ERR_NOMEM);
        assert_null(net);
        assert_int_equal(c.live_blocks, 0);
        assert_int_equal(c.live_bytes, 0);
        assert_true(n < 100);
      } else {
        sp_spike got;
        assert_non_null(net);
        /* Loading allocates through the given allocator only, and keeps only the network. */
        assert_true(c.allocs >= 1);
        assert_int_equal(c.live_blocks, 1);
        for (j = 0; j < 10; ++j) {
          assert_int_equal(sp_step(net, &got), SP_OK);
          assert_int_equal(got.neuron, expect[j].neuron);
          assert_true(got.t == expect[j].t);
        }
        if (i == 8)
          print_message("# %s: sp_load made %zu allocation(s), keeps %zu bytes\n", sc->name,
                        c.allocs, c.live_bytes);
        sp_network_destroy(net);
      }
      assert_int_equal(c.live_blocks, 0);
      assert_int_equal(c.bad_free, 0);
      assert_int_equal(c.bad_align, 0);
    }
    assert_true(n >= 2);
    test_free(buf);
  }
}

/* sp_save_file needs a temporary buffer for the bytes (through the network's allocator):
   it must free it, fail cleanly when it cannot get it, and leave the network untouched.
   sp_load_file reads with malloc/free, outside any allocator: only its result is checked. */
static double longest_row(const csr *m, uint32_t n_src) {
  uint64_t longest = 0;
  uint32_t j;
  for (j = 0; j < n_src; ++j)
    if (m->row_ptr[j + 1] - m->row_ptr[j] > longest) longest = m->row_ptr[j + 1] - m->row_ptr[j];
  return (double)longest;
}

/* The header's size of sp_record's allocations (the tape, and the gradients at the first
   call) for every scenario, and its bound on max_spikes. */
static void test_record_size_as_documented(void **state) {
  const size_t max_spikes = 700;
  size_t i;
  (void)state;
  for (i = 0; i < N_SCENARIOS; ++i) {
    const scenario *sc = &scenarios[i];
    counter c;
    sp_allocator a;
    built b;
    sp_network *net = NULL;
    size_t p_rec = 0, p_in = 0, before;
    double k_rec = 0, k_in = 0, expect, got;
    counter_init(&c);
    a = allocator_for(&c);
    build(&b, sc, &a);
    assert_int_equal(sp_network_create(&b.d, &net), SP_OK);
    k_rec = b.has_rec ? longest_row(&b.rec, sc->n) : b.d.recurrent.k;
    k_in = b.has_in ? longest_row(&b.in, sc->n_inputs) : b.d.inputs.k;
    assert_int_equal(sp_param_count(net, SP_PARAM_WEIGHTS, &p_rec), SP_OK);
    assert_int_equal(sp_param_count(net, SP_PARAM_INPUT_WEIGHTS, &p_in), SP_OK);
    /* (The header: no synapses count 0.) */
    if (sc->recurrent == CONN_NONE) assert_int_equal(p_rec, 0);
    if (sc->inputs == CONN_NONE) assert_int_equal(p_in, 0);
    expect = (96 + 8 * k_rec + 8 * k_in) * (double)max_spikes + 512 * k_in + 3072 + 28.0 * sc->n +
             16.0 * ((double)p_rec + (double)p_in + 2.0 * sc->n);
    before = c.bytes;
    assert_int_equal(sp_record(net, max_spikes), SP_OK);
    got = (double)(c.bytes - before);
    /* (Each array is rounded up to 64 bytes: six in the tape, four twice in the gradients.) */
    if (!(got >= expect && got <= expect + 64 * 14))
      fail_msg("%s: sp_record allocated %.0f bytes, the header's formula gives %.0f", sc->name, got,
               expect);
    /* The largest max_spikes gets as far as the allocator (which refuses it here); one more
       is an argument error (header: 2^31 - 33, or SIZE_MAX / 256 with a 32-bit size_t). */
    c.fail_at = (long)c.attempts;
    assert_int_equal(sp_record(net, largest_max_spikes), SP_ERR_NOMEM);
    assert_int_equal(sp_record(net, largest_max_spikes + 1), SP_ERR_ARGUMENT);
    assert_non_null(strstr(sp_last_error(), "max_spikes"));
    c.fail_at = -1;
    sp_network_destroy(net);
    assert_int_equal(c.live_blocks, 0);
    unbuild(&b);
  }
}

static void test_save_file_allocations(void **state) {
  static const char path[] = "embed_allocator_save_file.tmp";
  const scenario *sc = &scenarios[8];
  counter c;
  sp_allocator a;
  built b;
  sp_network *net = NULL, *loaded = NULL;
  sp_spike expect[10], got;
  size_t k, live, allocs = 0;
  long n;
  sp_status s;
  (void)state;
  counter_init(&c);
  a = allocator_for(&c);
  build(&b, sc, &a);
  assert_int_equal(sp_network_create(&b.d, &net), SP_OK);
  unbuild(&b);
  for (k = 0; k < 5; ++k) assert_int_equal(sp_step(net, NULL), SP_OK);
  s = sp_save_file(net, path);
  if (s == SP_ERR_UNSUPPORTED) {
    sp_network_destroy(net);
    TEST_SKIP("this network cannot be saved");
  }
  assert_int_equal(s, SP_OK);
  assert_int_equal(sp_load_file(path, &loaded), SP_OK);
  for (k = 0; k < 10; ++k) assert_int_equal(sp_step(loaded, &expect[k]), SP_OK);
  sp_network_destroy(loaded);
  live = c.live_blocks;
  for (n = 0;; ++n) {
    size_t before = c.attempts;
    c.fail_at = (long)before + n;
    s = sp_save_file(net, path);
    assert_int_equal(c.live_blocks, live); /* whatever it allocated is freed */
    if (s == SP_OK) {
      allocs = c.attempts - before;
      break;
    }
    assert_int_equal(s, SP_ERR_NOMEM);
    assert_true(n < 100);
  }
  c.fail_at = -1;
  print_message("# sp_save_file: %zu temporary allocation(s) through the network's allocator\n",
                allocs);
  /* The network goes on as if nothing had happened. */
  for (k = 0; k < 10; ++k) {
    assert_int_equal(sp_step(net, &got), SP_OK);
    assert_int_equal(got.neuron, expect[k].neuron);
    assert_true(got.t == expect[k].t);
  }
  sp_network_destroy(net);
  assert_int_equal(c.live_blocks, 0);
  assert_int_equal(c.bad_free, 0);
  remove(path);
}

/* ---------------------------------------------------------------------------------------- */
/* Bytes per neuron of the paper's balanced network                                          */

static void test_bytes_per_neuron(void **state) {
  static const uint32_t sizes[] = {10000u, 1000000u};
  const double k = 100.0, j0 = 1.0, nu = 1.0, tau = 0.01;
  size_t i;
  (void)state;
  for (i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
    sp_network_desc d;
    size_t bytes = 0;
    sp_network_desc_init(&d, sizeof d);
    d.model = SP_MODEL_LIF;
    d.n = sizes[i];
    d.tau = tau;
    d.drive = 1.0 + tau * sqrt(k) * j0 * nu;
    d.recurrent.k = (uint32_t)k;
    d.recurrent.seed = 1;
    d.recurrent.weight = -j0 / sqrt(k);
    assert_int_equal(sp_network_memory(&d, &bytes), SP_OK);
    print_message("# balanced LIF, procedural K = 100, N = %u: %zu bytes = %.2f bytes/neuron\n",
                  d.n, bytes, (double)bytes / (double)d.n);
    /* O(N): the connectivity costs nothing per synapse (a stored CSR would need >= 400 bytes
       per neuron for K = 100 targets). */
    assert_true((double)bytes / (double)d.n < 100.0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_memory_is_exact),
      cmocka_unit_test(test_memory_independent_of_allocator),
      cmocka_unit_test(test_no_allocation_after_create),
      cmocka_unit_test(test_create_fail_after_n),
      cmocka_unit_test(test_record_fail_after_n),
      cmocka_unit_test(test_record_size_as_documented),
      cmocka_unit_test(test_load_fail_after_n),
      cmocka_unit_test(test_save_file_allocations),
      cmocka_unit_test(test_bytes_per_neuron),
  };
  return cmocka_run_group_tests_name("embed_allocator", tests, NULL, NULL);
}
