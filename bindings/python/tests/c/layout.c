/* Prints the sizes and field offsets of the public structs as the C compiler lays them out,
   one "name value" per line; test_layout.py compares them with the ctypes mirrors. */
#include <stddef.h>
#include <stdio.h>
#include "sparseprop/sparseprop.h"

#define SIZE(T) printf("sizeof %s %zu\n", #T, sizeof(T))
#define OFF(T, f) printf("offsetof %s.%s %zu\n", #T, #f, offsetof(T, f))

int main(void) {
  SIZE(sp_synapses);
  OFF(sp_synapses, row_ptr);
  OFF(sp_synapses, targets);
  OFF(sp_synapses, weights);
  OFF(sp_synapses, k);
  OFF(sp_synapses, seed);
  OFF(sp_synapses, weight);
  SIZE(sp_allocator);
  OFF(sp_allocator, alloc);
  OFF(sp_allocator, free);
  OFF(sp_allocator, ctx);
  SIZE(sp_spike);
  OFF(sp_spike, t);
  OFF(sp_spike, neuron);
  OFF(sp_spike, flags);
  SIZE(sp_model_params);
  OFF(sp_model_params, struct_size);
  OFF(sp_model_params, reserved);
  OFF(sp_model_params, v_reset);
  OFF(sp_model_params, v_spike);
  OFF(sp_model_params, delta_t);
  OFF(sp_model_params, v_t);
  OFF(sp_model_params, f);
  OFF(sp_model_params, df);
  OFF(sp_model_params, ctx);
  SIZE(sp_network_desc);
#define D(f) OFF(sp_network_desc, f)
  D(struct_size);
  D(model);
  D(n);
  D(tau);
  D(drive);
  D(drives);
  D(recurrent);
  D(n_inputs);
  D(inputs);
  D(v0);
  D(init_seed);
  D(t_ref);
  D(input_capacity);
  D(allocator);
  D(frame);
  D(reserved);
  D(tau_syn);
  D(model_params);
#undef D
  /* Enum constants and the storage size of an enum argument. */
  SIZE(sp_status);
  SIZE(sp_param);
  printf("const SP_OK %d\n", (int)SP_OK);
  printf("const SP_ERR_ARGUMENT %d\n", (int)SP_ERR_ARGUMENT);
  printf("const SP_ERR_NOMEM %d\n", (int)SP_ERR_NOMEM);
  printf("const SP_ERR_UNSUPPORTED %d\n", (int)SP_ERR_UNSUPPORTED);
  printf("const SP_ERR_STATE %d\n", (int)SP_ERR_STATE);
  printf("const SP_ERR_CAPACITY %d\n", (int)SP_ERR_CAPACITY);
  printf("const SP_ERR_IO %d\n", (int)SP_ERR_IO);
  printf("const SP_ERR_FORMAT %d\n", (int)SP_ERR_FORMAT);
  printf("const SP_ERR_NUMERIC %d\n", (int)SP_ERR_NUMERIC);
  printf("const SP_MODEL_LIF %d\n", (int)SP_MODEL_LIF);
  printf("const SP_MODEL_QIF %d\n", (int)SP_MODEL_QIF);
  printf("const SP_MODEL_EIF %d\n", (int)SP_MODEL_EIF);
  printf("const SP_MODEL_CUSTOM %d\n", (int)SP_MODEL_CUSTOM);
  printf("const SP_FRAME_AUTO %d\n", (int)SP_FRAME_AUTO);
  printf("const SP_FRAME_PHASE %d\n", (int)SP_FRAME_PHASE);
  printf("const SP_FRAME_TIME %d\n", (int)SP_FRAME_TIME);
  printf("const SP_PARAM_WEIGHTS %d\n", (int)SP_PARAM_WEIGHTS);
  printf("const SP_PARAM_INPUT_WEIGHTS %d\n", (int)SP_PARAM_INPUT_WEIGHTS);
  printf("const SP_PARAM_DRIVES %d\n", (int)SP_PARAM_DRIVES);
  printf("const SP_PARAM_V0 %d\n", (int)SP_PARAM_V0);
  printf("const SP_SPIKE_TRIGGERED %d\n", (int)SP_SPIKE_TRIGGERED);
  printf("const SP_SPIKE_INPUT_TRIGGERED %d\n", (int)SP_SPIKE_INPUT_TRIGGERED);
  printf("const SP_VERSION_MAJOR %d\n", (int)SP_VERSION_MAJOR);
  return 0;
}
