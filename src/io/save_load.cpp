// Saving and loading: not implemented yet (issue "Embedding"); every call says so.
#include "io/save_load.hpp"

#include "capi/error.hpp"

namespace sp {

sp_status save_network(const Network *, void *, size_t, size_t *) {
  return fail(SP_ERR_UNSUPPORTED, "sp_save: saving networks is not implemented in this version");
}

sp_status load_network(const void *, size_t, const sp_allocator *, Network **) {
  return fail(SP_ERR_UNSUPPORTED, "sp_load: loading networks is not implemented in this version");
}

}  // namespace sp
