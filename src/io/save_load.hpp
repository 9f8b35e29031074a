// Saving and loading networks in the versioned binary format documented in README.md.
#pragma once
#include "core/network.hpp"

namespace sp {

sp_status save_network(const Network *net, void *buf, size_t cap, size_t *len);
sp_status load_network(const void *buf, size_t len, const sp_allocator *a, Network **out);
// Reads a whole file (SP_ERR_IO for anything that is not a readable regular file) and loads it.
sp_status load_network_file(const char *path, Network **out);

}  // namespace sp
