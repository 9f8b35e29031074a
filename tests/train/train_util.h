/* train_util.h - helpers of the training-call tests: a network's saved bytes (to show that a
   refused call changed nothing) and a rejection check (status, message naming the field and
   value, network unchanged). Include after <cmocka.h>. */
#ifndef TRAIN_UTIL_H
#define TRAIN_UTIL_H

#include <stdlib.h>

#include "abi_util.h"

typedef struct saved {
  void *p;
  size_t len;
} saved;

static inline saved train_save(const sp_network *net) {
  saved b = {NULL, 0};
  if (sp_save(net, NULL, 0, &b.len) != SP_OK) abi_fail_at(__FILE__, __LINE__, "sp_save size");
  b.p = malloc(b.len);
  if (!b.p || sp_save(net, b.p, b.len, &b.len) != SP_OK)
    abi_fail_at(__FILE__, __LINE__, "sp_save: %s", sp_last_error());
  return b;
}

/* Whether net saves to the same bytes as before (which is freed). */
static inline int train_unchanged(const sp_network *net, saved before) {
  saved now = train_save(net);
  int same = now.len == before.len && memcmp(now.p, before.p, now.len) == 0;
  free(now.p);
  free(before.p);
  return same;
}

/* call must fail with status, a message naming word (whole word) and value, and leave net's
   saved bytes unchanged. */
#define assert_rejected(net, call, status, word, value)                 \
  do {                                                                  \
    saved tr_before_ = train_save(net);                                 \
    abi_msg tr_m_;                                                      \
    assert_status(call, status);                                        \
    tr_m_ = abi_last_error();                                           \
    abi_check_message(#call, &tr_m_, word, NULL, value);                \
    if (!train_unchanged(net, tr_before_))                              \
      abi_fail_at(__FILE__, __LINE__, "%s changed the network", #call); \
  } while (0)

#endif
