// Streamed file I/O, white-box: sp_save_file / sp_load_file go through a buffer of a chunk's
// size (1 MiB in the library); here the chunk is as small as 1 byte, so that every value and
// section boundary falls across chunks. For every saved-network variant and chunk size, a file
// is byte for byte what sp_save writes to memory and loads into a network that continues like
// a freshly built one; through the file path every truncation and extension is refused, and a
// corrupted byte gets the same verdict and message as in memory (the checksum first, then,
// behind a re-sealed checksum, the loader's checks).
#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

// (The engine's headers before cmocka's, which defines a macro `fail`.)
#include "core/network.hpp"
#include "io/save_load.hpp"
#include "sparseprop/sparseprop.h"

extern "C" {
#include <cmocka.h>
#include "../skip.h"
}

extern "C" {
#include "format_bytes.h"
#include "variants.h"
}

namespace {

const char kPath[] = "test_stream.spnet";
const size_t kChunks[] = {1, 2, 3, 7, 8, 13, 64, 1000, 4096, sp::kFileChunkBytes};

sp::Network *impl(sp_network *net) { return reinterpret_cast<sp::Network *>(net); }
sp_network *handle(sp::Network *net) { return reinterpret_cast<sp_network *>(net); }

std::vector<unsigned char> saved(const sp_network *net) {
  size_t len = 0;
  assert_int_equal(sp_save(net, nullptr, 0, &len), SP_OK);
  std::vector<unsigned char> bytes(len);
  assert_int_equal(sp_save(net, bytes.data(), len, &len), SP_OK);
  return bytes;
}

std::vector<unsigned char> read_file(const char *path) {
  std::vector<unsigned char> bytes;
  std::FILE *f = std::fopen(path, "rb");
  assert_non_null(f);
  int c;
  while ((c = std::fgetc(f)) != EOF) bytes.push_back(static_cast<unsigned char>(c));
  std::fclose(f);
  return bytes;
}

// (Removed first: ext4 flushes a truncated and rewritten file to the disk on close, which is
// slow for thousands of files.)
void write_file(const char *path, const unsigned char *p, size_t len) {
  std::remove(path);
  std::FILE *f = std::fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(std::fwrite(p, 1, len, f), len);
  assert_int_equal(std::fclose(f), 0);
}

sp_status load_file(size_t chunk, sp_network **out) {
  sp::Network *net = nullptr;
  sp_status s = sp::load_network_file(kPath, &net, chunk);
  *out = s == SP_OK ? handle(net) : nullptr;
  if (s != SP_OK) assert_null(net);
  return s;
}

// The next spikes of a and b are identical (times compared bit for bit).
void same_future(sp_network *a, sp_network *b, int spikes) {
  for (int k = 0; k < spikes; ++k) {
    sp_spike sa, sb;
    sp_status s1 = sp_step(a, &sa), s2 = sp_step(b, &sb);
    assert_int_equal(s1, s2);
    if (s1 != SP_OK) return;
    assert_int_equal(sa.neuron, sb.neuron);
    assert_memory_equal(&sa.t, &sb.t, sizeof sa.t);
  }
}

// Every variant through every chunk size: the file is sp_save's bytes, and loads (through
// every chunk size) into a network that re-saves to the same bytes and continues like the
// original built again from its description.
void test_files_are_the_saved_bytes_at_every_chunk_size(void **) {
  for (size_t v = 0; v < GOLDEN_COUNT; ++v) {
    sp_network *net = nullptr;
    assert_int_equal(golden_build(&golden_variants[v], &net), SP_OK);
    std::vector<unsigned char> bytes = saved(net);
    for (size_t chunk : kChunks) {
      std::remove(kPath);
      assert_int_equal(sp::save_network_file(impl(net), kPath, chunk), SP_OK);
      std::vector<unsigned char> file = read_file(kPath);
      assert_int_equal(file.size(), bytes.size());
      assert_memory_equal(file.data(), bytes.data(), bytes.size());
    }
    for (size_t chunk : kChunks) {
      sp_network *copy = nullptr, *again = nullptr;
      assert_int_equal(load_file(chunk, &copy), SP_OK);
      std::vector<unsigned char> resaved = saved(copy);
      assert_int_equal(resaved.size(), bytes.size());
      assert_memory_equal(resaved.data(), bytes.data(), bytes.size());
      assert_int_equal(golden_build(&golden_variants[v], &again), SP_OK);
      same_future(again, copy, 200);
      sp_network_destroy(copy);
      sp_network_destroy(again);
    }
    sp_network_destroy(net);
  }
  std::remove(kPath);
}

// Through the file path: every truncation and an extension are refused (SP_ERR_FORMAT, nothing
// allocated: the suite runs under AddressSanitizer in CI), for variants with every kind of
// section.
void test_every_truncation_of_a_file_is_refused(void **) {
  const size_t picked[] = {4, 5, 10, 13};  // explicit, explicit inputs, recording, re-based
  for (size_t v : picked) {
    sp_network *net = nullptr, *copy = nullptr;
    assert_int_equal(golden_build(&golden_variants[v], &net), SP_OK);
    std::vector<unsigned char> bytes = saved(net);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      write_file(kPath, bytes.data(), cut);
      assert_int_equal(load_file(cut % 2 ? 7 : 64, &copy), SP_ERR_FORMAT);
    }
    std::vector<unsigned char> longer(bytes);
    longer.push_back(0);
    write_file(kPath, longer.data(), longer.size());
    assert_int_equal(load_file(13, &copy), SP_ERR_FORMAT);
    assert_non_null(std::strstr(sp_last_error(), "truncated or extended"));
    sp_network_destroy(net);
  }
  std::remove(kPath);
}

// A corrupted byte: through a file, with the checksum left as it was, refused as a checksum
// mismatch (after the header); with the checksum re-sealed, the same verdict and message as
// sp_load from memory gives (the loader's checks run on the streamed bytes as on the buffer).
void test_corruption_behind_the_checksum(void **) {
  const size_t picked[] = {1, 5, 7, 9};
  for (size_t v : picked) {
    sp_network *net = nullptr, *copy = nullptr, *mem = nullptr;
    assert_int_equal(golden_build(&golden_variants[v], &net), SP_OK);
    std::vector<unsigned char> bytes = saved(net);
    std::vector<unsigned char> bad(bytes);
    int loaded = 0;
    for (size_t pos = 0; pos < bytes.size() - 8; ++pos) {
      bad = bytes;
      bad[pos] ^= static_cast<unsigned char>(1u << (pos % 8));
      write_file(kPath, bad.data(), bad.size());
      assert_int_equal(load_file(pos % 3 ? 5 : 4096, &copy), SP_ERR_FORMAT);
      if (pos >= 24) assert_non_null(std::strstr(sp_last_error(), "checksum mismatch"));

      fmt_reseal(bad.data(), bad.size());
      sp_status in_memory = sp_load(bad.data(), bad.size(), nullptr, &mem);
      std::string memory_message = sp_last_error();
      write_file(kPath, bad.data(), bad.size());
      sp_status from_file = load_file(pos % 2 ? 3 : 1000, &copy);
      assert_int_equal(from_file, in_memory);
      if (in_memory == SP_OK) {
        // (A flipped bit the loader cannot tell from a valid network: the same network.)
        std::vector<unsigned char> a = saved(mem), b = saved(copy);
        assert_int_equal(a.size(), b.size());
        assert_memory_equal(a.data(), b.data(), a.size());
        ++loaded;
      } else {
        assert_string_equal(sp_last_error(), memory_message.c_str());
      }
      sp_network_destroy(mem);
      sp_network_destroy(copy);
      mem = copy = nullptr;
    }
    print_message("# %s: %zu re-sealed flips, %d loaded\n", golden_variants[v].name,
                  bytes.size() - 8, loaded);
    sp_network_destroy(net);
  }
  std::remove(kPath);
}

// A network of several chunks (about 4 MB saved) through the library's own chunk size.
void test_a_file_of_several_chunks(void **) {
  sp_network_desc d;
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = 100000;
  d.drive = 1.2;
  d.recurrent.k = 20;
  d.recurrent.seed = 3;
  d.recurrent.weight = -0.02;
  d.init_seed = 9;
  sp_network *net = nullptr, *copy = nullptr, *again = nullptr;
  assert_int_equal(sp_network_create(&d, &net), SP_OK);
  assert_int_equal(sp_network_create(&d, &again), SP_OK);
  for (int k = 0; k < 5000; ++k) {
    assert_int_equal(sp_step(net, nullptr), SP_OK);
    assert_int_equal(sp_step(again, nullptr), SP_OK);
  }
  std::vector<unsigned char> bytes = saved(net);
  assert_true(bytes.size() > 3 * sp::kFileChunkBytes);
  assert_int_equal(sp_save_file(net, kPath), SP_OK);
  std::vector<unsigned char> file = read_file(kPath);
  assert_int_equal(file.size(), bytes.size());
  assert_memory_equal(file.data(), bytes.data(), bytes.size());
  assert_int_equal(sp_load_file(kPath, &copy), SP_OK);
  same_future(again, copy, 20000);
  sp_network_destroy(net);
  sp_network_destroy(copy);
  sp_network_destroy(again);
  std::remove(kPath);
}

// A write that fails (a full device) is SP_ERR_IO, the network unchanged.
void test_a_failed_write(void **) {
  std::FILE *probe = std::fopen("/dev/full", "wb");
  if (!probe) TEST_SKIP("no /dev/full here");
  std::fclose(probe);
  sp_network *net = nullptr;
  assert_int_equal(golden_build(&golden_variants[0], &net), SP_OK);
  std::vector<unsigned char> before = saved(net);
  for (size_t chunk : {size_t(8), sp::kFileChunkBytes}) {
    assert_int_equal(sp::save_network_file(impl(net), "/dev/full", chunk), SP_ERR_IO);
    assert_non_null(std::strstr(sp_last_error(), "/dev/full"));
  }
  std::vector<unsigned char> after = saved(net);
  assert_memory_equal(before.data(), after.data(), before.size());
  sp_network_destroy(net);
}

// A network with current-based synapses (tau_syn > 0: format version 3, its section after the
// flags) through every chunk size: the file is sp_save's bytes, loads into a network that
// re-saves to them and continues like a twin run alike; every truncation is refused, and every
// re-sealed flipped byte gets sp_load's verdict and message.
const uint32_t kSynN = 12;

sp_network *make_syn(int steps) {
  static uint64_t row_ptr[kSynN + 1], in_row_ptr[3];
  static uint32_t targets[kSynN * 3], in_targets[2 * kSynN];
  static double weights[kSynN * 3], in_weights[2 * kSynN], drives[kSynN];
  for (uint32_t i = 0; i <= kSynN; ++i) row_ptr[i] = uint64_t(i) * 3;
  for (uint32_t e = 0; e < kSynN * 3; ++e) {
    targets[e] = (e * 5 + 1) % kSynN;
    weights[e] = e % 3 == 0 ? -0.35 : 0.2;
  }
  // Channel 0 excites, channel 1 inhibits (which leaves lower-bound keys behind).
  for (uint32_t c = 0; c <= 2; ++c) in_row_ptr[c] = uint64_t(c) * kSynN;
  for (uint32_t e = 0; e < 2 * kSynN; ++e) {
    in_targets[e] = e % kSynN;
    in_weights[e] = e < kSynN ? 0.3 : -0.6;
  }
  for (uint32_t i = 0; i < kSynN; ++i) drives[i] = 1.05 + 0.02 * i;
  sp_network_desc d;
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = kSynN;
  d.tau_syn = 0.004;
  d.t_ref = 0.001;
  d.drives = drives;
  d.init_seed = 5;
  d.recurrent.row_ptr = row_ptr;
  d.recurrent.targets = targets;
  d.recurrent.weights = weights;
  d.n_inputs = 2;
  d.inputs.row_ptr = in_row_ptr;
  d.inputs.targets = in_targets;
  d.inputs.weights = in_weights;
  d.input_capacity = 8;
  sp_network *net = nullptr;
  assert_int_equal(sp_network_create(&d, &net), SP_OK);
  for (int k = 0; k < steps; ++k) {
    if (k % 10 == 0) {
      assert_int_equal(sp_input(net, 0, sp_now(net) + 0.0003), SP_OK);
      assert_int_equal(sp_input(net, 1, sp_now(net) + 0.0005), SP_OK);
    }
    assert_int_equal(sp_step(net, nullptr), SP_OK);
  }
  assert_int_equal(sp_input(net, 1, sp_now(net) + 0.002), SP_OK);  // queued when saved
  return net;
}

void test_current_based_synapses_through_chunks(void **) {
  sp_network *net = make_syn(400);
  std::vector<unsigned char> bytes = saved(net);
  assert_int_equal(bytes[8], 3);
  uint32_t stale = 0;
  for (uint32_t i = 0; i < kSynN; ++i) stale += impl(net)->syn_aux[i].stale;
  print_message("# syn: %zu bytes, %u of %u keys lower bounds\n", bytes.size(), stale, kSynN);
  for (size_t chunk : kChunks) {
    std::remove(kPath);
    assert_int_equal(sp::save_network_file(impl(net), kPath, chunk), SP_OK);
    std::vector<unsigned char> file = read_file(kPath);
    assert_int_equal(file.size(), bytes.size());
    assert_memory_equal(file.data(), bytes.data(), bytes.size());
  }
  for (size_t chunk : kChunks) {
    sp_network *copy = nullptr, *twin = make_syn(400);
    assert_int_equal(load_file(chunk, &copy), SP_OK);
    std::vector<unsigned char> resaved = saved(copy);
    assert_int_equal(resaved.size(), bytes.size());
    assert_memory_equal(resaved.data(), bytes.data(), bytes.size());
    same_future(twin, copy, 300);
    sp_network_destroy(copy);
    sp_network_destroy(twin);
  }
  sp_network *copy = nullptr, *mem = nullptr;
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    write_file(kPath, bytes.data(), cut);
    assert_int_equal(load_file(cut % 2 ? 7 : 1, &copy), SP_ERR_FORMAT);
  }
  int loaded = 0;
  for (size_t pos = 24; pos < bytes.size() - 8; ++pos) {
    std::vector<unsigned char> bad(bytes);
    bad[pos] ^= static_cast<unsigned char>(1u << (pos % 8));
    fmt_reseal(bad.data(), bad.size());
    sp_status in_memory = sp_load(bad.data(), bad.size(), nullptr, &mem);
    std::string memory_message = sp_last_error();
    write_file(kPath, bad.data(), bad.size());
    assert_int_equal(load_file(pos % 2 ? 3 : 13, &copy), in_memory);
    if (in_memory == SP_OK) {
      std::vector<unsigned char> a = saved(mem), b = saved(copy);
      assert_int_equal(a.size(), b.size());
      assert_memory_equal(a.data(), b.data(), a.size());
      ++loaded;
    } else {
      assert_string_equal(sp_last_error(), memory_message.c_str());
    }
    sp_network_destroy(mem);
    sp_network_destroy(copy);
    mem = copy = nullptr;
  }
  print_message("# syn: %zu re-sealed flips, %d loaded\n", bytes.size() - 32, loaded);
  sp_network_destroy(net);
  std::remove(kPath);
}

// The checked-in files of format versions 1 and 2 (tests/io/golden, golden-v2; version 1 has no
// same-instant flags) load through every chunk size into the network sp_load makes of the same
// bytes, and continue like it.
const char *g_golden_dirs[2];

void test_golden_files_through_chunks(void **) {
  for (const char *dir : g_golden_dirs) {
    if (!dir) TEST_SKIP("the golden directories were not given");
    for (size_t v = 0; v < GOLDEN_COUNT; ++v) {
      std::string path = std::string(dir) + "/" + golden_variants[v].name + ".spnet";
      std::vector<unsigned char> bytes = read_file(path.c_str());
      sp_network *mem = nullptr;
      assert_int_equal(sp_load(bytes.data(), bytes.size(), nullptr, &mem), SP_OK);
      std::vector<unsigned char> expect = saved(mem);
      write_file(kPath, bytes.data(), bytes.size());
      for (size_t chunk : {size_t(1), size_t(7), size_t(64), sp::kFileChunkBytes}) {
        sp_network *copy = nullptr, *again = nullptr;
        assert_int_equal(load_file(chunk, &copy), SP_OK);
        std::vector<unsigned char> got = saved(copy);
        assert_int_equal(got.size(), expect.size());
        assert_memory_equal(got.data(), expect.data(), got.size());
        assert_int_equal(sp_load(bytes.data(), bytes.size(), nullptr, &again), SP_OK);
        same_future(again, copy, 100);
        sp_network_destroy(copy);
        sp_network_destroy(again);
      }
      sp_network_destroy(mem);
    }
  }
  std::remove(kPath);
}

}  // namespace

int main(int argc, char **argv) {
  g_golden_dirs[0] = argc > 1 ? argv[1] : nullptr;
  g_golden_dirs[1] = argc > 2 ? argv[2] : nullptr;
  const CMUnitTest tests[] = {
      cmocka_unit_test(test_files_are_the_saved_bytes_at_every_chunk_size),
      cmocka_unit_test(test_every_truncation_of_a_file_is_refused),
      cmocka_unit_test(test_corruption_behind_the_checksum),
      cmocka_unit_test(test_a_file_of_several_chunks),
      cmocka_unit_test(test_a_failed_write),
      cmocka_unit_test(test_golden_files_through_chunks),
      cmocka_unit_test(test_current_based_synapses_through_chunks),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
