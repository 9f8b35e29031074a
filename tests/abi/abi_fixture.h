/* abi_fixture.h - helpers shared by the C99 ABI tests: a valid description with the arrays
   it points to (explicit mixed-sign synapses, two input channels), and a network's saved
   bytes, the whole parameter and dynamic state, for "a failed call changes nothing". */
#ifndef ABI_FIXTURE_H
#define ABI_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include <sparseprop/sparseprop.h>

#include "abi_util.h"

#define FN 8  /* neurons in the fixture network */
#define FNI 2 /* input channels in the fixture network */

/* A valid description plus the arrays it points to. Not copyable (the desc points inside). */
typedef struct fixture {
  sp_network_desc d;
  abi_alloc_state alloc_state;
  sp_allocator alloc;
  double drives[FN];
  double v0[FN];
  uint64_t rec_rp[FN + 1];
  uint32_t rec_tg[2 * FN];
  double rec_w[2 * FN];
  uint64_t in_rp[FNI + 1];
  uint32_t in_tg[4];
  double in_w[4];
} fixture;

/* LIF (or QIF), 8 oscillatory neurons with one shared drive, explicit mixed-sign recurrent
   synapses, 2 input channels (channel 1 drives neuron 5 over threshold). */
static inline void fixture_init(fixture *f, sp_model model) {
  uint32_t j;
  memset(f, 0, sizeof *f);
  sp_network_desc_init(&f->d, sizeof f->d);
  f->alloc = abi_allocator(&f->alloc_state);
  f->d.model = (uint32_t)model;
  f->d.n = FN;
  f->d.tau = 0.01;
  f->d.drive = model == SP_MODEL_QIF ? 0.5 : 1.2;
  for (j = 0; j < FN; j++) {
    f->drives[j] = f->d.drive;
    f->v0[j] = 0.1 * j;
    f->rec_rp[j] = 2 * j;
    f->rec_tg[2 * j] = (j + 1) % FN;
    f->rec_w[2 * j] = -0.2;
    f->rec_tg[2 * j + 1] = (j + 3) % FN;
    f->rec_w[2 * j + 1] = 0.15;
  }
  f->rec_rp[FN] = 2 * FN;
  f->d.v0 = f->v0;
  f->d.recurrent.row_ptr = f->rec_rp;
  f->d.recurrent.targets = f->rec_tg;
  f->d.recurrent.weights = f->rec_w;
  f->d.n_inputs = FNI;
  f->in_rp[0] = 0;
  f->in_rp[1] = 3;
  f->in_rp[2] = 4;
  f->in_tg[0] = 0;
  f->in_tg[1] = 1;
  f->in_tg[2] = 2;
  f->in_tg[3] = 5;
  f->in_w[0] = 0.3;
  f->in_w[1] = 0.3;
  f->in_w[2] = 0.3;
  f->in_w[3] = 1.5;
  f->d.inputs.row_ptr = f->in_rp;
  f->d.inputs.targets = f->in_tg;
  f->d.inputs.weights = f->in_w;
  f->d.allocator = &f->alloc;
}

static inline sp_network *create_ok(const sp_network_desc *d) {
  sp_network *net = NULL;
  assert_sp_ok(sp_network_create(d, &net));
  assert_non_null(net);
  return net;
}

typedef struct bytes {
  unsigned char *p;
  size_t len;
} bytes;

static inline bytes save_bytes(const sp_network *net) {
  bytes b;
  size_t len = 0;
  assert_sp_ok(sp_save(net, NULL, 0, &len));
  b.p = (unsigned char *)malloc(len);
  assert_non_null(b.p);
  assert_sp_ok(sp_save(net, b.p, len, &b.len));
  assert_int_equal(b.len, len);
  return b;
}

/* The saved bytes of a and b are identical (the whole parameter and dynamic state). */
static inline int same_saved(const sp_network *a, const bytes *before) {
  bytes now = save_bytes(a);
  int same = now.len == before->len && memcmp(now.p, before->p, now.len) == 0;
  free(now.p);
  return same;
}

#endif /* ABI_FIXTURE_H */
