/* format_bytes.h - the saved-network byte format as src/io/FORMAT.md specifies it, written
 * again for the tests (shares no code with src/io): little-endian fields and the FNV-1a
 * checksum, so that a test can edit a saved file and re-seal it, reaching the loader's checks
 * behind the checksum. */
#ifndef FORMAT_BYTES_H
#define FORMAT_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime 0x100000001b3). */
static inline uint64_t fmt_fnv1a(const unsigned char *p, size_t len) {
  uint64_t h = 0xcbf29ce484222325ULL;
  size_t i;
  for (i = 0; i < len; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

/* Writes the low `bytes` bytes of v, little-endian. */
static inline void fmt_put_le(unsigned char *p, uint64_t v, int bytes) {
  int b;
  for (b = 0; b < bytes; ++b) p[b] = (unsigned char)(v >> (8 * b));
}

static inline void fmt_put_f64(unsigned char *p, double x) {
  uint64_t bits;
  memcpy(&bits, &x, 8);
  fmt_put_le(p, bits, 8);
}

static inline double fmt_get_f64(const unsigned char *p) {
  uint64_t bits = 0;
  double x;
  int b;
  for (b = 7; b >= 0; --b) bits = bits << 8 | p[b];
  memcpy(&x, &bits, 8);
  return x;
}

/* Recomputes the checksum in the last 8 bytes of a saved network of len bytes. */
static inline void fmt_reseal(unsigned char *buf, size_t len) {
  fmt_put_le(buf + len - 8, fmt_fnv1a(buf, len - 8), 8);
}

#endif /* FORMAT_BYTES_H */
