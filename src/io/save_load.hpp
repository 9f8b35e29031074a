// Saving and loading networks in the versioned binary format of src/io/FORMAT.md.
#pragma once
#include "core/network.hpp"

namespace sp {

// Files are written and read through a buffer of this many bytes (tests pass small ones).
constexpr size_t kFileChunkBytes = size_t(1) << 20;

sp_status save_network(const Network *net, void *buf, size_t cap, size_t *len);
sp_status load_network(const void *buf, size_t len, const sp_allocator *a, Network **out);
// Streams the saved bytes to a file (SP_ERR_IO when it cannot be written).
sp_status save_network_file(const Network *net, const char *path,
                            size_t chunk_bytes = kFileChunkBytes);
// Streams a file (SP_ERR_IO for anything that is not a readable regular file) into a network.
sp_status load_network_file(const char *path, Network **out, size_t chunk_bytes = kFileChunkBytes);

}  // namespace sp
