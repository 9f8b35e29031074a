/* test_rejections.c - every bad input sparseprop.h mentions is refused with the documented
   status, a message naming the field and its value, *out == NULL after a failed create, and
   a network that is exactly as it was (checked against an untouched twin network). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sparseprop/sparseprop.h>

#include "abi_util.h"

#include "abi_fixture.h"

/* ---------------------------------------------------------------------------------------- */
/* Rejected descriptions */

typedef struct create_case {
  const char *name;
  void (*mutate)(fixture *f);
  int qif; /* start from the QIF fixture */
  sp_status status;
  const char *word;  /* field the message must name (whole word; '|' separates alternatives) */
  const char *sub;   /* substring the message must contain, or NULL */
  const char *value; /* the offending value as the message must show it, or NULL */
} create_case;

/* Procedural synapses: row_ptr, targets and weights all NULL (the engine refuses targets
   without row_ptr as inconsistent). */
static void rec_procedural(fixture *f, uint32_t k) {
  f->d.recurrent.row_ptr = NULL;
  f->d.recurrent.targets = NULL;
  f->d.recurrent.weights = NULL;
  f->d.recurrent.k = k;
  f->d.recurrent.weight = -0.1;
}

static void in_procedural(fixture *f, uint32_t k) {
  f->d.inputs.row_ptr = NULL;
  f->d.inputs.targets = NULL;
  f->d.inputs.weights = NULL;
  f->d.inputs.k = k;
  f->d.inputs.weight = 0.2;
}

#define MUTATOR(fn, body) \
  static void fn(fixture *f) { body; }

MUTATOR(m_n0, f->d.n = 0)
MUTATOR(m_tau_neg, f->d.tau = -1.0)
MUTATOR(m_tau_nan, f->d.tau = NAN)
MUTATOR(m_tau_inf, f->d.tau = INFINITY)
MUTATOR(m_tau_ninf, f->d.tau = -INFINITY)
MUTATOR(m_tau_subnormal, f->d.tau = 5e-324)
MUTATOR(m_tau_tiny, f->d.tau = 1e-101)
MUTATOR(m_tref_huge, f->d.t_ref = 1e101)
MUTATOR(m_tref_taus, f->d.t_ref = 2e15 * f->d.tau)
MUTATOR(m_drive_nan, f->d.drive = NAN)
MUTATOR(m_drive_inf, f->d.drive = INFINITY)
MUTATOR(m_drive_ninf, f->d.drive = -INFINITY)
MUTATOR(m_drives3_nan, f->d.drives = f->drives; f->drives[3] = NAN)
MUTATOR(m_drives3_inf, f->d.drives = f->drives; f->drives[3] = INFINITY)
MUTATOR(m_rec_weight_nan, f->d.recurrent.weights = NULL; f->d.recurrent.weight = NAN)
MUTATOR(m_rec_weights5_inf, f->rec_w[5] = INFINITY)
MUTATOR(m_rec_weights5_nan, f->rec_w[5] = NAN)
MUTATOR(m_proc_weight_inf, rec_procedural(f, 2); f->d.recurrent.weight = INFINITY)
MUTATOR(m_in_weight_nan, f->d.inputs.weights = NULL; f->d.inputs.weight = NAN)
MUTATOR(m_in_weights2_nan, f->in_w[2] = NAN)
MUTATOR(m_v0_2_nan, f->v0[2] = NAN)
MUTATOR(m_v0_2_inf, f->v0[2] = INFINITY)
MUTATOR(m_model0, f->d.model = 0)
MUTATOR(m_model99, f->d.model = 99)
/* Tabulated models: EIF (default convention: reset 0, V_T 1, D_T 0.1, spike at +inf, so
   oscillatory for I > 0.9) and custom F, with the model parameters in static storage. */
static sp_model_params g_mp;
static double f_minus_v(double v, void *ctx) {
  (void)ctx;
  return -v;
}
static double f_linear_growth(double v, void *ctx) {
  (void)ctx;
  return sqrt(1.0 + v * v);
}
static double f_nan(double v, void *ctx) {
  (void)ctx;
  return v > 0.5 ? NAN : -v;
}
static void eif_params(fixture *f) {
  memset(&g_mp, 0, sizeof g_mp);
  g_mp.struct_size = (uint32_t)sizeof g_mp;
  g_mp.v_reset = 0.0;
  g_mp.v_spike = INFINITY;
  g_mp.delta_t = 0.1;
  g_mp.v_t = 1.0;
  f->d.model = SP_MODEL_EIF;
  f->d.model_params = &g_mp;
}
static void custom_lif(fixture *f) {
  eif_params(f);
  f->d.model = SP_MODEL_CUSTOM;
  g_mp.v_spike = 1.0;
  g_mp.f = f_minus_v;
}
MUTATOR(m_eif_excitable, f->d.model = SP_MODEL_EIF; f->d.drive = 0.8)
MUTATOR(m_eif_size, eif_params(f); g_mp.struct_size = 8)
MUTATOR(m_eif_reserved, eif_params(f); g_mp.reserved = 1)
MUTATOR(m_eif_v_reset_nan, eif_params(f); g_mp.v_reset = NAN)
MUTATOR(m_eif_v_spike_low, eif_params(f); g_mp.v_spike = -0.5)
MUTATOR(m_eif_delta_t_0, eif_params(f); g_mp.delta_t = 0.0)
MUTATOR(m_eif_delta_t_neg, eif_params(f); g_mp.delta_t = -0.1)
MUTATOR(m_eif_v_t_inf, eif_params(f); g_mp.v_t = INFINITY)
MUTATOR(m_eif_huge_drive, eif_params(f); f->d.drive = 1e16)
MUTATOR(m_lif_drive_1e20, f->d.drive = 1e20)
MUTATOR(m_eif_huge_delta_t, eif_params(f); f->d.drive = 1.2; g_mp.delta_t = 2.8e13)
MUTATOR(m_eif_tiny_delta_t, eif_params(f); f->d.drive = 1.1; g_mp.delta_t = 1e-18)
MUTATOR(m_eif_v_reset_40, eif_params(f); g_mp.v_reset = 40)
MUTATOR(m_eif_v_reset_100, eif_params(f); g_mp.v_reset = 100)
MUTATOR(m_eif_with_f, eif_params(f); g_mp.f = f_minus_v)
MUTATOR(m_eif_weight_huge, eif_params(f); f->d.recurrent.weights = NULL;
        f->d.recurrent.weight = -1e308)
MUTATOR(m_custom_weight_huge, custom_lif(f); f->d.recurrent.weights = NULL;
        f->d.recurrent.weight = 2e100)
MUTATOR(m_custom_no_params, f->d.model = SP_MODEL_CUSTOM)
MUTATOR(m_custom_no_f, custom_lif(f); g_mp.f = NULL)
MUTATOR(m_custom_excitable, custom_lif(f); f->d.drive = 0.5)
MUTATOR(m_custom_slow_blowup, custom_lif(f); g_mp.f = f_linear_growth; g_mp.v_spike = INFINITY)
MUTATOR(m_custom_nan_f, custom_lif(f); g_mp.f = f_nan)
MUTATOR(m_lif_params, eif_params(f); f->d.model = SP_MODEL_LIF)
MUTATOR(m_qif_drive0, f->d.drive = 0.0)
MUTATOR(m_qif_drive_neg, f->d.drive = -1.0)
MUTATOR(m_qif_drives5_0, f->d.drives = f->drives; f->drives[5] = 0.0)
MUTATOR(m_rec_k_eq_n, rec_procedural(f, FN))
MUTATOR(m_rec_k_big, rec_procedural(f, 100))
MUTATOR(m_in_k_gt_n, in_procedural(f, FN + 1))
MUTATOR(m_rec_rp0, f->rec_rp[0] = 1)
MUTATOR(m_rec_rp_nonmono, f->rec_rp[3] = 9)
MUTATOR(m_rec_target_n, f->rec_tg[4] = FN)
MUTATOR(m_rec_target_200, f->rec_tg[4] = 200)
MUTATOR(m_rec_targets_null, f->d.recurrent.targets = NULL)
MUTATOR(m_in_rp0, f->in_rp[0] = 1)
MUTATOR(m_in_rp_nonmono, f->in_rp[1] = 5)
MUTATOR(m_in_target_200, f->in_tg[2] = 200)
MUTATOR(m_t_ref_neg, f->d.t_ref = -1.0)
MUTATOR(m_t_ref_nan, f->d.t_ref = NAN)
MUTATOR(m_t_ref_inf, f->d.t_ref = INFINITY)
MUTATOR(m_frame3, f->d.frame = 3)
MUTATOR(m_frame99, f->d.frame = 99)
MUTATOR(m_phase_drives, f->d.frame = SP_FRAME_PHASE; f->d.drives = f->drives; f->drives[6] = 1.3)
MUTATOR(m_phase_nonosc, f->d.frame = SP_FRAME_PHASE; f->d.drive = 0.8)
/* Current-based synapses (sparseprop.h, tau_syn): the refusals, each on its own. */
MUTATOR(m_syn_nan, f->d.tau_syn = NAN)
MUTATOR(m_syn_neg, f->d.tau_syn = -0.005)
MUTATOR(m_syn_qif, f->d.tau_syn = 0.005)
MUTATOR(m_syn_ratio_small, f->d.tau_syn = 0.01 * 5e-5)
MUTATOR(m_syn_ratio_big, f->d.tau_syn = 0.01 * 2e4)
/* A ratio just below 1e-4 (9.9999999999999991e-05): the message shows all its digits. */
MUTATOR(m_syn_ratio_just_small, f->d.tau_syn = 1e-6)
MUTATOR(m_syn_ratio_near_1, f->d.tau_syn = 0.01 * (1 + 1.0 / 8192))
MUTATOR(m_syn_t_ref, f->d.tau_syn = 0.005; f->d.t_ref = 481 * 0.005)
/* One ulp above the limit: the message printed both as 2.4 (an outside client's finding). */
MUTATOR(m_syn_t_ref_ulp, f->d.tau_syn = 0.005; f->d.t_ref = nextafter(480 * 0.005, 1.0e9))
MUTATOR(m_syn_phase, f->d.tau_syn = 0.005; f->d.frame = SP_FRAME_PHASE)
/* No input channels: the shared input weight is still kept and saved, so it is checked. */
static void no_inputs(fixture *f, double weight) {
  f->d.n_inputs = 0;
  f->d.inputs.row_ptr = NULL;
  f->d.inputs.targets = NULL;
  f->d.inputs.weights = NULL;
  f->d.inputs.k = 0;
  f->d.inputs.weight = weight;
}
MUTATOR(m_no_inputs_weight_nan, no_inputs(f, NAN))
MUTATOR(m_no_inputs_weight_huge, no_inputs(f, 1e300))
MUTATOR(m_no_inputs_syn_weight, no_inputs(f, 2e6); f->d.tau_syn = 0.005)
MUTATOR(m_drive_past_range, f->d.drive = nextafter(1e100, INFINITY))
MUTATOR(m_eif_drive_1e300, eif_params(f); f->d.drive = 1e300)
MUTATOR(m_struct_size0, f->d.struct_size = 0)
MUTATOR(m_struct_size4, f->d.struct_size = 4)
MUTATOR(m_struct_size8, f->d.struct_size = 8)

static const create_case create_cases[] = {
    {"n = 0", m_n0, 0, SP_ERR_ARGUMENT, "n", NULL, "0"},
    {"tau = -1", m_tau_neg, 0, SP_ERR_ARGUMENT, "tau", NULL, "-1"},
    {"tau = NaN", m_tau_nan, 0, SP_ERR_ARGUMENT, "tau", NULL, "nan"},
    {"tau = inf", m_tau_inf, 0, SP_ERR_ARGUMENT, "tau", NULL, "inf"},
    {"tau = -inf", m_tau_ninf, 0, SP_ERR_ARGUMENT, "tau", NULL, "inf"},
    {"tau = 5e-324", m_tau_subnormal, 0, SP_ERR_NUMERIC, "tau", NULL, "5e-324"},
    {"tau = 1e-101", m_tau_tiny, 0, SP_ERR_NUMERIC, "tau", NULL, "1e-101"},
    {"t_ref = 1e101", m_tref_huge, 0, SP_ERR_NUMERIC, "t_ref", NULL, "1e+101"},
    {"t_ref = 2e15 tau", m_tref_taus, 0, SP_ERR_NUMERIC, "t_ref", NULL, "2e+13"},
    {"drive = NaN", m_drive_nan, 0, SP_ERR_ARGUMENT, "drive", NULL, "nan"},
    {"drive = inf", m_drive_inf, 0, SP_ERR_ARGUMENT, "drive", NULL, "inf"},
    {"drive = -inf", m_drive_ninf, 0, SP_ERR_ARGUMENT, "drive", NULL, "inf"},
    {"drives[3] = NaN", m_drives3_nan, 0, SP_ERR_ARGUMENT, "drives[3]", NULL, "nan"},
    {"drives[3] = inf", m_drives3_inf, 0, SP_ERR_ARGUMENT, "drives[3]", NULL, "inf"},
    {"recurrent.weight = NaN", m_rec_weight_nan, 0, SP_ERR_ARGUMENT, "weight", NULL, "nan"},
    {"recurrent.weights[5] = inf", m_rec_weights5_inf, 0, SP_ERR_ARGUMENT, "weights[5]", NULL,
     "inf"},
    {"recurrent.weights[5] = NaN", m_rec_weights5_nan, 0, SP_ERR_ARGUMENT, "weights[5]", NULL,
     "nan"},
    {"procedural recurrent.weight = inf", m_proc_weight_inf, 0, SP_ERR_ARGUMENT, "weight", NULL,
     "inf"},
    {"inputs.weight = NaN", m_in_weight_nan, 0, SP_ERR_ARGUMENT, "weight", NULL, "nan"},
    {"inputs.weight = NaN, n_inputs = 0", m_no_inputs_weight_nan, 0, SP_ERR_ARGUMENT,
     "inputs.weight", NULL, "nan"},
    {"inputs.weight = 1e300, n_inputs = 0", m_no_inputs_weight_huge, 0, SP_ERR_NUMERIC,
     "inputs.weight", NULL, "1e+300"},
    {"inputs.weight = 2e6, n_inputs = 0, tau_syn", m_no_inputs_syn_weight, 0, SP_ERR_NUMERIC,
     "inputs.weight", NULL, "2000000"},
    /* The value told apart from the bound (all the digits it needs). */
    {"drive = the double after 1e100", m_drive_past_range, 0, SP_ERR_NUMERIC, "drive", NULL,
     "1.0000000000000002e+100"},
    {"inputs.weights[2] = NaN", m_in_weights2_nan, 0, SP_ERR_ARGUMENT, "weights[2]", NULL, "nan"},
    {"v0[2] = NaN", m_v0_2_nan, 0, SP_ERR_ARGUMENT, "v0[2]", NULL, "nan"},
    {"v0[2] = inf (LIF)", m_v0_2_inf, 0, SP_ERR_ARGUMENT, "v0[2]", NULL, "inf"},
    {"model = 0", m_model0, 0, SP_ERR_ARGUMENT, "model", NULL, "0"},
    {"model = 99", m_model99, 0, SP_ERR_ARGUMENT, "model", NULL, "99"},
    {"EIF drive 0.8 (excitable)", m_eif_excitable, 0, SP_ERR_UNSUPPORTED, "drive", "excitable",
     "0.8"},
    {"model_params->struct_size = 8", m_eif_size, 0, SP_ERR_ARGUMENT, "struct_size", NULL, "8"},
    {"model_params->reserved = 1", m_eif_reserved, 0, SP_ERR_ARGUMENT, "reserved", NULL, "1"},
    {"model_params->v_reset = NaN", m_eif_v_reset_nan, 0, SP_ERR_ARGUMENT, "v_reset", NULL, "nan"},
    {"model_params->v_spike below v_reset", m_eif_v_spike_low, 0, SP_ERR_ARGUMENT, "v_spike", NULL,
     "-0.5"},
    {"model_params->delta_t = 0", m_eif_delta_t_0, 0, SP_ERR_ARGUMENT, "delta_t", NULL, "0"},
    {"model_params->delta_t = -0.1", m_eif_delta_t_neg, 0, SP_ERR_ARGUMENT, "delta_t", NULL,
     "-0.1"},
    {"model_params->v_t = inf", m_eif_v_t_inf, 0, SP_ERR_ARGUMENT, "v_t", NULL, "inf"},
    /* A period below 2^-30 tau (fuzz_create/eif-drive-1e16-memory-agrees): refused by
       sp_network_memory as by sp_network_create (checked in the loop). */
    /* (The period shown is tau/I, not the 0 that log(I/(I-1)) reads once I/(I-1) rounds to 1:
       an outside client's check.) */
    {"LIF drive 1e20 (period below the time resolution)", m_lif_drive_1e20, 0, SP_ERR_NUMERIC,
     "drive", "the free period (1e-22 s with tau = 0.01)", "1e+20"},
    {"EIF drive 1e16 (period below the time resolution)", m_eif_huge_drive, 0, SP_ERR_NUMERIC,
     "drive", "time resolution", "10000000000000000"},
    /* A reset so far above V_T that the period, about e^-(v_reset - V_T)/D_T, is below it: was
       SP_ERR_UNSUPPORTED "F + I nearly zero" from the fit (40), SP_ERR_ARGUMENT (100). */
    {"EIF v_reset = 40 (period below the time resolution)", m_eif_v_reset_40, 0, SP_ERR_NUMERIC,
     "v_reset", "time resolution", "40"},
    {"EIF v_reset = 100 (period below the time resolution)", m_eif_v_reset_100, 0, SP_ERR_NUMERIC,
     "v_reset", "time resolution", "100"},
    {"EIF drive 1e300 (beyond the numeric range)", m_eif_drive_1e300, 0, SP_ERR_NUMERIC, "drive",
     "above", "1e+300"},
    {"EIF recurrent.weight = -1e308", m_eif_weight_huge, 0, SP_ERR_NUMERIC, "recurrent.weight",
     NULL, "-1e+308"},
    {"custom recurrent.weight = 2e100", m_custom_weight_huge, 0, SP_ERR_NUMERIC, "recurrent.weight",
     NULL, "2e+100"},
    /* From about 1e8 on the table fails the loader's check (fuzz_create/
       eif-huge-delta-t-saved-table-not-loadable): refused, so that every saved network loads. */
    {"model_params->delta_t = 2.8e13", m_eif_huge_delta_t, 0, SP_ERR_ARGUMENT, "delta_t", "1e6",
     "2.8e+13"},
    /* A rise narrower than the voltages' resolution near V_T: the table missed it and the
       neuron never spiked (an outside check's finding). */
    {"model_params->delta_t = 1e-18", m_eif_tiny_delta_t, 0, SP_ERR_ARGUMENT, "delta_t", "2^-40",
     "1e-18"},
    {"EIF with a callback f", m_eif_with_f, 0, SP_ERR_ARGUMENT, "f", "SP_MODEL_CUSTOM", NULL},
    {"custom without model_params", m_custom_no_params, 0, SP_ERR_ARGUMENT, "model_params",
     "SP_MODEL_CUSTOM", NULL},
    {"custom with f = NULL", m_custom_no_f, 0, SP_ERR_ARGUMENT, "model_params", "function f", NULL},
    {"custom F = -V, drive 0.5 < threshold (excitable)", m_custom_excitable, 0, SP_ERR_UNSUPPORTED,
     "drive", "excitable", "0.5"},
    {"custom F = sqrt(1 + V^2), spike at +inf (too slow a blow-up)", m_custom_slow_blowup, 0,
     SP_ERR_UNSUPPORTED, "drive", "V^2", NULL},
    {"custom F NaN above 0.5", m_custom_nan_f, 0, SP_ERR_UNSUPPORTED, "drive", "must return finite",
     "nan"},
    {"model_params on LIF", m_lif_params, 0, SP_ERR_UNSUPPORTED, "model_params", NULL, NULL},
    {"QIF drive = 0", m_qif_drive0, 1, SP_ERR_UNSUPPORTED, NULL, "drive", NULL},
    {"QIF drive = -1", m_qif_drive_neg, 1, SP_ERR_UNSUPPORTED, NULL, "drive", "-1"},
    {"QIF drives[5] = 0", m_qif_drives5_0, 1, SP_ERR_UNSUPPORTED, NULL, "drive", NULL},
    {"recurrent.k = n", m_rec_k_eq_n, 0, SP_ERR_ARGUMENT, "k", NULL, "8"},
    {"recurrent.k = 100 > n", m_rec_k_big, 0, SP_ERR_ARGUMENT, "k", NULL, "100"},
    {"inputs.k = n + 1", m_in_k_gt_n, 0, SP_ERR_ARGUMENT, "k", NULL, "9"},
    {"recurrent.row_ptr[0] = 1", m_rec_rp0, 0, SP_ERR_ARGUMENT, "row_ptr", NULL, NULL},
    {"recurrent.row_ptr decreasing", m_rec_rp_nonmono, 0, SP_ERR_ARGUMENT, "row_ptr", NULL, NULL},
    {"recurrent target = n", m_rec_target_n, 0, SP_ERR_ARGUMENT, "targets", NULL, "8"},
    {"recurrent target = 200", m_rec_target_200, 0, SP_ERR_ARGUMENT, "targets", NULL, "200"},
    {"recurrent.targets = NULL", m_rec_targets_null, 0, SP_ERR_ARGUMENT, "targets", NULL, NULL},
    {"inputs.row_ptr[0] = 1", m_in_rp0, 0, SP_ERR_ARGUMENT, "row_ptr", NULL, NULL},
    {"inputs.row_ptr decreasing", m_in_rp_nonmono, 0, SP_ERR_ARGUMENT, "row_ptr", NULL, NULL},
    {"inputs target = 200", m_in_target_200, 0, SP_ERR_ARGUMENT, "targets", NULL, "200"},
    {"t_ref = -1", m_t_ref_neg, 0, SP_ERR_ARGUMENT, "t_ref", NULL, "-1"},
    {"t_ref = NaN", m_t_ref_nan, 0, SP_ERR_ARGUMENT, "t_ref", NULL, "nan"},
    {"t_ref = inf", m_t_ref_inf, 0, SP_ERR_ARGUMENT, "t_ref", NULL, "inf"},
    {"frame = 3", m_frame3, 0, SP_ERR_ARGUMENT, "frame", NULL, "3"},
    {"frame = 99", m_frame99, 0, SP_ERR_ARGUMENT, "frame", NULL, "99"},
    {"SP_FRAME_PHASE with per-neuron drives", m_phase_drives, 0, SP_ERR_UNSUPPORTED, NULL,
     "phase|frame", NULL},
    {"SP_FRAME_PHASE with LIF drive 0.8", m_phase_nonosc, 0, SP_ERR_UNSUPPORTED, NULL,
     "phase|frame", NULL},
    {"tau_syn = NaN", m_syn_nan, 0, SP_ERR_ARGUMENT, "tau_syn", NULL, "nan"},
    {"tau_syn = -0.005", m_syn_neg, 0, SP_ERR_ARGUMENT, "tau_syn", NULL, "-0.005"},
    {"tau_syn on QIF", m_syn_qif, 1, SP_ERR_UNSUPPORTED, "tau_syn", "LIF", "0.005"},
    {"tau_syn/tau = 5e-5", m_syn_ratio_small, 0, SP_ERR_UNSUPPORTED, "tau_syn", "1e-4 to 1e4",
     "5.0000000000000009e-05"},
    {"tau_syn = 1e-6, tau = 0.01", m_syn_ratio_just_small, 0, SP_ERR_UNSUPPORTED, "tau_syn",
     "1e-4 to 1e4", "9.9999999999999991e-05"},
    {"tau_syn/tau = 2e4", m_syn_ratio_big, 0, SP_ERR_UNSUPPORTED, "tau_syn", "1e-4 to 1e4",
     "20000"},
    {"tau_syn/tau = 1 + 2^-13", m_syn_ratio_near_1, 0, SP_ERR_NUMERIC, "tau_syn", "2^-12", NULL},
    {"tau_syn, t_ref above 480 tau_syn", m_syn_t_ref, 0, SP_ERR_UNSUPPORTED, "t_ref", "480",
     "2.405"},
    {"tau_syn, t_ref an ulp above 480 tau_syn", m_syn_t_ref_ulp, 0, SP_ERR_UNSUPPORTED,
     "t_ref = 2.4000000000000004", "at most 2.3999999999999999", NULL},
    {"tau_syn with SP_FRAME_PHASE", m_syn_phase, 0, SP_ERR_UNSUPPORTED, "frame", "time frame",
     NULL},
    {"struct_size = 0", m_struct_size0, 0, SP_ERR_ARGUMENT, "struct_size", NULL, "0"},
    {"struct_size = 4", m_struct_size4, 0, SP_ERR_ARGUMENT, "struct_size", NULL, "4"},
    {"struct_size = 8", m_struct_size8, 0, SP_ERR_ARGUMENT, "struct_size", NULL, "8"},
};

static void test_fixtures_are_valid(void **state) {
  fixture f;
  sp_network *net;
  (void)state;
  fixture_init(&f, SP_MODEL_LIF);
  net = create_ok(&f.d);
  assert_int_equal(sp_network_size(net), FN);
  sp_network_destroy(net);
  assert_int_equal(f.alloc_state.live, 0);
  fixture_init(&f, SP_MODEL_QIF);
  net = create_ok(&f.d);
  sp_network_destroy(net);
  assert_int_equal(f.alloc_state.live, 0);
}

static void test_create_rejects(void **state) {
  size_t i;
  (void)state;
  for (i = 0; i < sizeof create_cases / sizeof create_cases[0]; i++) {
    const create_case *c = &create_cases[i];
    fixture f;
    sp_network *out = NULL;
    sp_status st;
    abi_msg m;
    fixture_init(&f, c->qif ? SP_MODEL_QIF : SP_MODEL_LIF);
    c->mutate(&f);
    {
      /* sp_network_memory refuses the same descriptions with the same status. */
      size_t bytes = 0;
      sp_status sm = sp_network_memory(&f.d, &bytes);
      if (sm != c->status)
        abi_fail_at(__FILE__, __LINE__, "%s: sp_network_memory returned %s, expected %s", c->name,
                    sp_status_name(sm), sp_status_name(c->status));
    }
    st = sp_network_create(&f.d, &out);
    m = abi_last_error();
    if (st != c->status)
      abi_fail_at(__FILE__, __LINE__,
                  "%s: sp_network_create returned %s, expected %s "
                  "(message \"%s\")",
                  c->name, sp_status_name(st), sp_status_name(c->status), m.text);
    if (out != NULL)
      abi_fail_at(__FILE__, __LINE__, "%s: *out is not NULL after a failed create", c->name);
    if (f.alloc_state.live != 0)
      abi_fail_at(__FILE__, __LINE__, "%s: %lu blocks still allocated after a failed create",
                  c->name, (unsigned long)f.alloc_state.live);
    abi_check_message(c->name, &m, c->word, c->sub, c->value);
  }
}

/* The header: "a failed create leaves *out == NULL" - also when *out held something. */
static void test_failed_create_nulls_out(void **state) {
  fixture f;
  int dummy;
  sp_network *out = (sp_network *)(void *)&dummy;
  (void)state;
  fixture_init(&f, SP_MODEL_LIF);
  f.d.n = 0;
  assert_status(sp_network_create(&f.d, &out), SP_ERR_ARGUMENT);
  assert_null(out);
}

static void test_create_null_arguments(void **state) {
  fixture f;
  sp_network *out = NULL;
  size_t bytes = 12345;
  abi_msg m;
  (void)state;
  fixture_init(&f, SP_MODEL_LIF);
  assert_status(sp_network_create(NULL, &out), SP_ERR_ARGUMENT);
  m = abi_last_error();
  abi_check_message("create(NULL, &out)", &m, "d|desc", NULL, NULL);
  assert_null(out);
  assert_status(sp_network_create(&f.d, NULL), SP_ERR_ARGUMENT);
  m = abi_last_error();
  abi_check_message("create(&d, NULL)", &m, "out", NULL, NULL);
  assert_int_equal(f.alloc_state.live, 0);
  assert_status(sp_network_memory(NULL, &bytes), SP_ERR_ARGUMENT);
  assert_int_equal(bytes, 12345);
  assert_status(sp_network_memory(&f.d, NULL), SP_ERR_ARGUMENT);
}

/* Boundary values just inside the rules are accepted. */
static void test_create_accepts_boundaries(void **state) {
  fixture f;
  sp_network *net;
  (void)state;

  fixture_init(&f, SP_MODEL_LIF); /* k = n - 1 recurrent, k = n for inputs */
  rec_procedural(&f, FN - 1);
  in_procedural(&f, FN);
  net = create_ok(&f.d);
  sp_network_destroy(net);

  fixture_init(&f, SP_MODEL_LIF); /* repeats and self-connections in CSR */
  f.rec_tg[0] = 0;
  f.rec_tg[1] = 0;
  net = create_ok(&f.d);
  sp_network_destroy(net);

  fixture_init(&f, SP_MODEL_LIF); /* tau = 0 means the default */
  f.d.tau = 0.0;
  net = create_ok(&f.d);
  sp_network_destroy(net);

  fixture_init(&f, SP_MODEL_LIF); /* forced frames on a network that allows them */
  f.d.frame = SP_FRAME_PHASE;
  net = create_ok(&f.d);
  assert_int_equal(sp_network_frame(net), SP_FRAME_PHASE);
  sp_network_destroy(net);
  f.d.frame = SP_FRAME_TIME;
  net = create_ok(&f.d);
  assert_int_equal(sp_network_frame(net), SP_FRAME_TIME);
  sp_network_destroy(net);

  fixture_init(&f, SP_MODEL_LIF); /* non-oscillatory and negative LIF drives are fine */
  f.d.drives = f.drives;
  f.drives[1] = 0.5;
  f.drives[2] = -3.0;
  net = create_ok(&f.d);
  assert_int_equal(sp_network_frame(net), SP_FRAME_TIME);
  sp_network_destroy(net);
  assert_int_equal(f.alloc_state.live, 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Rejected calls on a live network: compare with an untouched twin */

static void prep(sp_network *net) {
  sp_spike buf[256];
  size_t count = 0;
  assert_sp_ok(sp_run(net, 0.0123, buf, 256, &count));
  assert_true(count < 256);
  assert_true(sp_now(net) == 0.0123);
  assert_sp_ok(sp_input(net, 1, 0.02));
  assert_sp_ok(sp_input(net, 0, 0.015));
}

/* a and b must be indistinguishable: time, frame, voltages, and the next spikes. */
static void assert_twins_at(const char *file, int line, const char *what, sp_network *a,
                            sp_network *b) {
  double va[FN], vb[FN];
  int k;
  if (!abi_same_bits(sp_now(a), sp_now(b)))
    abi_fail_at(file, line, "%s: now() %.17g differs from the twin's %.17g", what, sp_now(a),
                sp_now(b));
  if (sp_network_frame(a) != sp_network_frame(b))
    abi_fail_at(file, line, "%s: frame changed", what);
  if (sp_network_size(a) != sp_network_size(b)) abi_fail_at(file, line, "%s: size changed", what);
  assert_sp_ok(sp_voltages(a, va, FN));
  assert_sp_ok(sp_voltages(b, vb, FN));
  if (memcmp(va, vb, sizeof va) != 0)
    abi_fail_at(file, line, "%s: voltages differ from the twin's", what);
  for (k = 0; k < 40; k++) {
    sp_spike sa, sb;
    sp_status st_a = sp_step(a, &sa), st_b = sp_step(b, &sb);
    if (st_a != st_b)
      abi_fail_at(file, line, "%s: step %d returned %s, the twin %s", what, k, sp_status_name(st_a),
                  sp_status_name(st_b));
    if (st_a != SP_OK) break;
    if (!abi_same_bits(sa.t, sb.t) || sa.neuron != sb.neuron)
      abi_fail_at(file, line, "%s: spike %d is (%.17g, %u), the twin's (%.17g, %u)", what, k, sa.t,
                  (unsigned)sa.neuron, sb.t, (unsigned)sb.neuron);
  }
}

#define assert_twins(what, a, b) assert_twins_at(__FILE__, __LINE__, (what), (a), (b))

static const double SENTINEL = 12345.678;

static void check_untouched(const char *what, double v) {
  if (!abi_same_bits(v, SENTINEL))
    abi_fail_at(__FILE__, __LINE__, "%s: output written by a failed call (%.17g)", what, v);
}

static sp_status c_voltage_n(sp_network *net) {
  double v = SENTINEL;
  sp_status st = sp_voltage(net, FN, &v);
  check_untouched("sp_voltage(neuron = n)", v);
  return st;
}
static sp_status c_voltage_max(sp_network *net) {
  double v = SENTINEL;
  sp_status st = sp_voltage(net, UINT32_MAX, &v);
  check_untouched("sp_voltage(neuron = UINT32_MAX)", v);
  return st;
}
static sp_status c_voltage_null(sp_network *net) { return sp_voltage(net, 0, NULL); }
static sp_status c_set_drive_n(sp_network *net) { return sp_set_drive(net, FN, 1.5); }
static sp_status c_set_drive_nan(sp_network *net) { return sp_set_drive(net, 2, NAN); }
static sp_status c_set_drive_inf(sp_network *net) { return sp_set_drive(net, 2, INFINITY); }
static sp_status c_set_drive_ninf(sp_network *net) { return sp_set_drive(net, 2, -INFINITY); }
static sp_status c_set_drive_qif0(sp_network *net) { return sp_set_drive(net, 2, 0.0); }
static sp_status c_set_drive_qif_neg(sp_network *net) { return sp_set_drive(net, 2, -1.0); }
static sp_status run_with(sp_network *net, double t_end, sp_spike *buf, size_t cap) {
  size_t count = 777;
  sp_status st = sp_run(net, t_end, buf, cap, &count);
  if (st != SP_OK && count != 777)
    abi_fail_at(__FILE__, __LINE__, "failed sp_run wrote *count = %lu", (unsigned long)count);
  return st;
}
static sp_status c_run_past(sp_network *net) {
  sp_spike buf[8];
  return run_with(net, sp_now(net) - 1e-3, buf, 8);
}
static sp_status c_run_nan(sp_network *net) {
  sp_spike buf[8];
  return run_with(net, NAN, buf, 8);
}
static sp_status c_run_inf(sp_network *net) {
  sp_spike buf[8];
  return run_with(net, INFINITY, buf, 8);
}
static sp_status c_run_null_buf(sp_network *net) { return run_with(net, 0.1, NULL, 4); }
static sp_status c_input_channel(sp_network *net) { return sp_input(net, FNI, 0.03); }
static sp_status c_input_channel_max(sp_network *net) { return sp_input(net, UINT32_MAX, 0.03); }
static sp_status c_input_past(sp_network *net) { return sp_input(net, 0, sp_now(net) - 1e-3); }
static sp_status c_input_nan(sp_network *net) { return sp_input(net, 0, NAN); }
static sp_status c_input_inf(sp_network *net) { return sp_input(net, 0, INFINITY); }
static sp_status voltages_with(sp_network *net, size_t n, int null_buf) {
  double v[FN + 1];
  size_t i;
  sp_status st;
  for (i = 0; i < FN + 1; i++) v[i] = SENTINEL;
  st = sp_voltages(net, null_buf ? NULL : v, n);
  for (i = 0; i < FN + 1; i++) check_untouched("sp_voltages with a bad argument", v[i]);
  return st;
}
static sp_status c_voltages_short(sp_network *net) { return voltages_with(net, FN - 1, 0); }
static sp_status c_voltages_long(sp_network *net) { return voltages_with(net, FN + 1, 0); }
static sp_status c_voltages_null(sp_network *net) { return voltages_with(net, FN, 1); }

typedef struct call_case {
  const char *name;
  sp_status (*call)(sp_network *net);
  int qif;
  sp_status status;
  const char *word, *sub, *value;
} call_case;

static const call_case call_cases[] = {
    {"sp_voltage(neuron = n)", c_voltage_n, 0, SP_ERR_ARGUMENT, "neuron", NULL, "8"},
    {"sp_voltage(neuron = UINT32_MAX)", c_voltage_max, 0, SP_ERR_ARGUMENT, "neuron", NULL,
     "4294967295"},
    {"sp_voltage(v = NULL)", c_voltage_null, 0, SP_ERR_ARGUMENT, "v", NULL, NULL},
    {"sp_set_drive(neuron = n)", c_set_drive_n, 0, SP_ERR_ARGUMENT, "neuron", NULL, "8"},
    {"sp_set_drive(drive = NaN)", c_set_drive_nan, 0, SP_ERR_ARGUMENT, "drive", NULL, "nan"},
    {"sp_set_drive(drive = inf)", c_set_drive_inf, 0, SP_ERR_ARGUMENT, "drive", NULL, "inf"},
    {"sp_set_drive(drive = -inf)", c_set_drive_ninf, 0, SP_ERR_ARGUMENT, "drive", NULL, "inf"},
    {"QIF sp_set_drive(drive = 0)", c_set_drive_qif0, 1, SP_ERR_UNSUPPORTED, NULL, "drive", NULL},
    {"QIF sp_set_drive(drive = -1)", c_set_drive_qif_neg, 1, SP_ERR_UNSUPPORTED, NULL, "drive",
     "-1"},
    {"sp_run(t_end < now)", c_run_past, 0, SP_ERR_ARGUMENT, "t_end", NULL, NULL},
    {"sp_run(t_end = NaN)", c_run_nan, 0, SP_ERR_ARGUMENT, "t_end", NULL, "nan"},
    {"sp_run(t_end = inf)", c_run_inf, 0, SP_ERR_ARGUMENT, "t_end", NULL, "inf"},
    {"QIF sp_run(t_end < now)", c_run_past, 1, SP_ERR_ARGUMENT, "t_end", NULL, NULL},
    {"sp_run(buf = NULL, cap = 4)", c_run_null_buf, 0, SP_ERR_ARGUMENT, "buf", NULL, NULL},
    {"sp_input(channel = n_inputs)", c_input_channel, 0, SP_ERR_ARGUMENT, "channel", NULL, "2"},
    {"sp_input(channel = UINT32_MAX)", c_input_channel_max, 0, SP_ERR_ARGUMENT, "channel", NULL,
     "4294967295"},
    {"sp_input(t < now)", c_input_past, 0, SP_ERR_ARGUMENT, "t|time", NULL, NULL},
    {"sp_input(t = NaN)", c_input_nan, 0, SP_ERR_ARGUMENT, "t|time", NULL, "nan"},
    {"sp_input(t = inf)", c_input_inf, 0, SP_ERR_ARGUMENT, "t|time", NULL, "inf"},
    {"sp_voltages(n = 7)", c_voltages_short, 0, SP_ERR_ARGUMENT, "n", NULL, "7"},
    {"sp_voltages(n = 9)", c_voltages_long, 0, SP_ERR_ARGUMENT, "n", NULL, "9"},
    {"sp_voltages(v = NULL)", c_voltages_null, 0, SP_ERR_ARGUMENT, "v", NULL, NULL},
    {"QIF sp_voltages(n = 7)", c_voltages_short, 1, SP_ERR_ARGUMENT, "n", NULL, "7"},
};

static void test_calls_reject_and_leave_network_unchanged(void **state) {
  size_t i;
  (void)state;
  for (i = 0; i < sizeof call_cases / sizeof call_cases[0]; i++) {
    const call_case *c = &call_cases[i];
    fixture f;
    sp_network *a, *b;
    sp_status st;
    abi_msg m;
    fixture_init(&f, c->qif ? SP_MODEL_QIF : SP_MODEL_LIF);
    a = create_ok(&f.d);
    b = create_ok(&f.d);
    prep(a);
    prep(b);
    st = c->call(a);
    m = abi_last_error();
    if (st != c->status)
      abi_fail_at(__FILE__, __LINE__, "%s returned %s, expected %s (message \"%s\")", c->name,
                  sp_status_name(st), sp_status_name(c->status), m.text);
    abi_check_message(c->name, &m, c->word, c->sub, c->value);
    assert_twins(c->name, a, b);
    sp_network_destroy(a);
    sp_network_destroy(b);
    assert_int_equal(f.alloc_state.live, 0);
  }
}

static void test_null_network(void **state) {
  sp_spike s;
  double v = SENTINEL, vs[2];
  size_t count = 777;
  (void)state;
  assert_status(sp_step(NULL, &s), SP_ERR_ARGUMENT);
  assert_true(sp_last_error()[0] != '\0');
  assert_status(sp_run(NULL, 1.0, NULL, 0, &count), SP_ERR_ARGUMENT);
  assert_int_equal(count, 777);
  assert_status(sp_input(NULL, 0, 0.0), SP_ERR_ARGUMENT);
  assert_status(sp_voltage(NULL, 0, &v), SP_ERR_ARGUMENT);
  check_untouched("sp_voltage(NULL)", v);
  assert_status(sp_voltages(NULL, vs, 2), SP_ERR_ARGUMENT);
  assert_status(sp_set_drive(NULL, 0, 1.5), SP_ERR_ARGUMENT);
  assert_status(sp_rewind(NULL), SP_ERR_ARGUMENT);
  assert_true(sp_last_error()[0] != '\0');
  assert_true(isnan(sp_now(NULL)));
  assert_int_equal(sp_network_size(NULL), 0);
  assert_int_equal(sp_network_frame(NULL), 0);
  sp_network_destroy(NULL);
}

/* A network where nothing will ever happen: every LIF drive <= 1, no input queued. */
static void test_step_with_nothing_to_do(void **state) {
  fixture f;
  sp_network *a, *b;
  sp_spike s;
  size_t count = 99;
  abi_msg m;
  (void)state;
  fixture_init(&f, SP_MODEL_LIF);
  f.d.drive = 0.9;
  a = create_ok(&f.d);
  b = create_ok(&f.d);
  assert_sp_ok(sp_run(a, 0.005, NULL, 0, &count));
  assert_int_equal(count, 0);
  assert_sp_ok(sp_run(b, 0.005, NULL, 0, NULL));
  assert_true(sp_now(a) == 0.005);
  s.t = SENTINEL;
  s.neuron = 4242;
  assert_status(sp_step(a, &s), SP_ERR_STATE);
  m = abi_last_error();
  abi_check_message("sp_step with nothing to do", &m, NULL, NULL, NULL);
  check_untouched("sp_step out", s.t);
  assert_int_equal(s.neuron, 4242);
  assert_true(sp_now(a) == 0.005);
  assert_status(sp_step(a, NULL), SP_ERR_STATE);
  assert_true(sp_now(a) == 0.005);
  assert_twins("sp_step with nothing to do", a, b);
  sp_network_destroy(a);
  sp_network_destroy(b);

  /* Drive exactly 1: V approaches threshold but never reaches it. */
  fixture_init(&f, SP_MODEL_LIF);
  f.d.drive = 1.0;
  a = create_ok(&f.d);
  assert_status(sp_step(a, NULL), SP_ERR_STATE);
  assert_true(sp_now(a) == 0.0);
  sp_network_destroy(a);
  assert_int_equal(f.alloc_state.live, 0);
}

/* The documented exception: queued inputs that produce no spike are applied, now() moves to
   the last one, and SP_ERR_STATE is returned. */
static void test_step_with_inputs_but_no_spike(void **state) {
  sp_network_desc d;
  uint64_t rp[2] = {0, 1};
  uint32_t tg[1] = {0};
  double v0[1] = {0.0};
  const double I = 0.5, tau = 0.01, w = 0.1;
  double v1, v2, v;
  sp_network *net = NULL;
  (void)state;
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = 1;
  d.tau = tau;
  d.drive = I;
  d.v0 = v0;
  d.n_inputs = 1;
  d.inputs.row_ptr = rp;
  d.inputs.targets = tg;
  d.inputs.weight = w;
  net = create_ok(&d);
  assert_sp_ok(sp_input(net, 0, 0.001));
  assert_sp_ok(sp_input(net, 0, 0.002));
  assert_status(sp_step(net, NULL), SP_ERR_STATE);
  assert_true(sp_now(net) == 0.002);
  /* V(t) = I + (V(s) - I) exp(-(t - s)/tau) between events. */
  v1 = I + (0.0 - I) * exp(-0.001 / tau) + w;
  v2 = I + (v1 - I) * exp(-0.001 / tau) + w;
  assert_sp_ok(sp_voltage(net, 0, &v));
  assert_close(v, v2, 1e-12);
  assert_status(sp_step(net, NULL), SP_ERR_STATE);
  assert_true(sp_now(net) == 0.002);
  sp_network_destroy(net);
}

/* Queue full: SP_ERR_CAPACITY, nothing lost. Every input makes neuron 0 spike at once. */
static void make_capacity_net(sp_network_desc *d, uint64_t *rp, uint32_t *tg, double *v0) {
  sp_network_desc_init(d, sizeof *d);
  rp[0] = 0;
  rp[1] = 1;
  tg[0] = 0;
  v0[0] = 0.0;
  d->model = SP_MODEL_LIF;
  d->n = 1;
  d->tau = 0.01;
  d->drive = 0.5;
  d->v0 = v0;
  d->n_inputs = 1;
  d->inputs.row_ptr = rp;
  d->inputs.targets = tg;
  d->inputs.weight = 2.0;
  d->input_capacity = 4;
}

static void test_input_queue_full(void **state) {
  sp_network_desc d;
  uint64_t rp[2];
  uint32_t tg[1];
  double v0[1];
  sp_network *a, *b;
  sp_spike buf[16];
  size_t count = 0, i;
  abi_msg m;
  (void)state;
  make_capacity_net(&d, rp, tg, v0);
  a = create_ok(&d);
  b = create_ok(&d);
  for (i = 0; i < 4; i++) {
    assert_sp_ok(sp_input(a, 0, 0.001 * (double)(i + 1)));
    assert_sp_ok(sp_input(b, 0, 0.001 * (double)(i + 1)));
  }
  assert_status(sp_input(a, 0, 0.005), SP_ERR_CAPACITY);
  m = abi_last_error();
  abi_check_message("sp_input on a full queue", &m, NULL, "capacity|queue|full", NULL);
  assert_status(sp_input(a, 0, 0.0005), SP_ERR_CAPACITY);

  assert_sp_ok(sp_run(a, 0.01, buf, 16, &count));
  assert_int_equal(count, 4);
  for (i = 0; i < 4; i++) {
    assert_int_equal(buf[i].neuron, 0);
    assert_true(buf[i].t == 0.001 * (double)(i + 1));
  }
  /* The twin, which never saw the rejected inputs, gives the same spikes. */
  {
    sp_spike bb[16];
    size_t cb = 0;
    assert_sp_ok(sp_run(b, 0.01, bb, 16, &cb));
    assert_int_equal(cb, count);
    assert_memory_equal(buf, bb, count * sizeof buf[0]);
  }
  /* Processed inputs free their places. */
  for (i = 0; i < 4; i++) assert_sp_ok(sp_input(a, 0, 0.02));
  assert_status(sp_input(a, 0, 0.02), SP_ERR_CAPACITY);
  sp_network_destroy(a);
  sp_network_destroy(b);
}

static void test_last_error_cleared_by_success(void **state) {
  fixture f;
  sp_network *net = NULL;
  double v;
  sp_spike s;
  (void)state;
  fixture_init(&f, SP_MODEL_LIF);

  assert_status(sp_network_create(NULL, &net), SP_ERR_ARGUMENT);
  assert_true(sp_last_error()[0] != '\0');
  assert_sp_ok(sp_network_create(&f.d, &net));
  assert_string_equal(sp_last_error(), "");

  assert_status(sp_voltage(net, FN, &v), SP_ERR_ARGUMENT);
  assert_true(sp_last_error()[0] != '\0');
  assert_sp_ok(sp_voltage(net, 0, &v));
  assert_string_equal(sp_last_error(), "");

  assert_status(sp_run(net, NAN, NULL, 0, NULL), SP_ERR_ARGUMENT);
  assert_sp_ok(sp_run(net, 0.001, NULL, 0, NULL));
  assert_string_equal(sp_last_error(), "");

  assert_status(sp_input(net, FNI, 0.5), SP_ERR_ARGUMENT);
  assert_sp_ok(sp_input(net, 0, 0.5));
  assert_string_equal(sp_last_error(), "");

  assert_status(sp_set_drive(net, 0, NAN), SP_ERR_ARGUMENT);
  assert_sp_ok(sp_step(net, &s));
  assert_string_equal(sp_last_error(), "");

  assert_status(sp_voltages(net, NULL, FN), SP_ERR_ARGUMENT);
  assert_sp_ok(sp_set_drive(net, 0, 1.25));
  assert_string_equal(sp_last_error(), "");
  sp_network_destroy(net);
}

static void test_status_names(void **state) {
  static const struct {
    sp_status s;
    const char *name;
  } names[] = {
      {SP_OK, "SP_OK"},
      {SP_ERR_ARGUMENT, "SP_ERR_ARGUMENT"},
      {SP_ERR_NOMEM, "SP_ERR_NOMEM"},
      {SP_ERR_UNSUPPORTED, "SP_ERR_UNSUPPORTED"},
      {SP_ERR_STATE, "SP_ERR_STATE"},
      {SP_ERR_CAPACITY, "SP_ERR_CAPACITY"},
      {SP_ERR_IO, "SP_ERR_IO"},
      {SP_ERR_FORMAT, "SP_ERR_FORMAT"},
      {SP_ERR_NUMERIC, "SP_ERR_NUMERIC"},
  };
  size_t i;
  (void)state;
  assert_int_equal(SP_OK, 0);
  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    assert_non_null(sp_status_name(names[i].s));
    assert_string_equal(sp_status_name(names[i].s), names[i].name);
  }
  assert_string_equal(sp_status_name((sp_status)(SP_ERR_NUMERIC + 1)), "SP_UNKNOWN_STATUS");
  assert_string_equal(sp_status_name((sp_status)99), "SP_UNKNOWN_STATUS");
  assert_string_equal(sp_status_name((sp_status)-1), "SP_UNKNOWN_STATUS");
  sp_network_destroy(NULL);
}

/* sp_network_memory is the exact sum the allocator is asked for; every allocation failure in
   turn gives SP_ERR_NOMEM, *out == NULL and no leak. */
static void test_memory_and_allocation_failures(void **state) {
  fixture f;
  sp_network *net = NULL;
  size_t bytes = 0, calls, i;
  (void)state;
  fixture_init(&f, SP_MODEL_LIF);
  assert_sp_ok(sp_network_memory(&f.d, &bytes));
  net = create_ok(&f.d);
  calls = f.alloc_state.calls;
  assert_true(calls > 0);
  if (f.alloc_state.requested != bytes)
    abi_fail_at(__FILE__, __LINE__, "sp_network_memory said %lu bytes, create requested %lu",
                (unsigned long)bytes, (unsigned long)f.alloc_state.requested);
  sp_network_destroy(net);
  assert_int_equal(f.alloc_state.live, 0);
  for (i = 0; i < calls; i++) {
    abi_msg m;
    f.alloc_state.calls = 0;
    f.alloc_state.requested = 0;
    f.alloc_state.fail_after = (long)i;
    net = NULL;
    assert_status(sp_network_create(&f.d, &net), SP_ERR_NOMEM);
    m = abi_last_error();
    abi_check_message("allocation failure", &m, NULL, NULL, NULL);
    assert_null(net);
    if (f.alloc_state.live != 0)
      abi_fail_at(__FILE__, __LINE__, "allocation %lu failing leaks %lu blocks", (unsigned long)i,
                  (unsigned long)f.alloc_state.live);
  }
}

/* Bad inputs the training and saving sections of the header mention. */
static void test_training_rejections(void **state) {
  fixture f;
  sp_network *net;
  size_t len = 777;
  double p[FN + 1], dl[1] = {1.0};
  (void)state;
  fixture_init(&f, SP_MODEL_LIF);
  net = create_ok(&f.d);

  assert_status(sp_param_count(net, (sp_param)99, &len), SP_ERR_ARGUMENT);
  assert_int_equal(len, 777);
  assert_sp_ok(sp_param_count(net, SP_PARAM_DRIVES, &len));
  assert_int_equal(len, FN);
  assert_status(sp_get_params(net, SP_PARAM_DRIVES, p, FN + 1), SP_ERR_ARGUMENT);
  assert_status(sp_set_params(net, SP_PARAM_DRIVES, p, FN - 1), SP_ERR_ARGUMENT);
  /* A NULL array with a count: the message names the pointer (it said "the SP_PARAM_DRIVES
     array is NULL", an outside embedder's note). */
  {
    abi_msg m;
    assert_status(sp_get_params(net, SP_PARAM_DRIVES, NULL, FN), SP_ERR_ARGUMENT);
    m = abi_last_error();
    abi_check_message("sp_get_params(out = NULL)", &m, "out", "NULL", "SP_PARAM_DRIVES");
    assert_status(sp_set_params(net, SP_PARAM_V0, NULL, FN), SP_ERR_ARGUMENT);
    m = abi_last_error();
    abi_check_message("sp_set_params(in = NULL)", &m, "in", "NULL", "SP_PARAM_V0");
    assert_status(sp_get_grads(net, SP_PARAM_DRIVES, NULL, FN), SP_ERR_ARGUMENT);
    m = abi_last_error();
    abi_check_message("sp_get_grads(out = NULL)", &m, "out", "NULL", "SP_PARAM_DRIVES");
  }
  /* No tape: SP_ERR_STATE comes before the arguments' checks (a wrong count, a NULL dl_dt with
   * a count), as the header says. */
  assert_status(sp_backward(net, dl, 1, NULL), SP_ERR_STATE);
  assert_status(sp_backward(net, NULL, 5, NULL), SP_ERR_STATE);
  assert_status(sp_record(NULL, 10), SP_ERR_ARGUMENT);
  sp_network_destroy(net);
}

static void test_load_rejections(void **state) {
  sp_network *out;
  unsigned char junk[64];
  (void)state;
  memset(junk, 0x5a, sizeof junk);
  out = NULL;
  assert_status(sp_load(junk, sizeof junk, NULL, &out), SP_ERR_FORMAT);
  assert_null(out);
  assert_true(sp_last_error()[0] != '\0');
  assert_status(sp_load_file("/nonexistent-dir/sparseprop-none.spn", &out), SP_ERR_IO);
  assert_null(out);
  {
    abi_msg m = abi_last_error();
    abi_check_message("sp_load_file(missing file)", &m, NULL, NULL, NULL);
  }
}

/* An explicit CSR with zero synapses and a weights array has per-synapse weights, zero of
   them (not one shared weight): count 0 for both kinds, get/set/grads take len 0 (len 1 is
   refused), after a backward pass too, and a save -> load keeps the count. Each CSR is checked
   alone (the other one procedural) and both together. */
static void check_zero_weights(sp_network *net, sp_param p, const char *what) {
  size_t len = 777;
  double v[1] = {0.25}, g[1] = {0.0};
  assert_sp_ok(sp_param_count(net, p, &len));
  if (len != 0) fail_msg("%s: param_count = %zu, want 0", what, len);
  assert_sp_ok(sp_get_params(net, p, v, 0));
  assert_sp_ok(sp_set_params(net, p, v, 0));
  assert_sp_ok(sp_get_grads(net, p, g, 0));
  assert_status(sp_get_params(net, p, v, 1), SP_ERR_ARGUMENT);
  assert_status(sp_set_params(net, p, v, 1), SP_ERR_ARGUMENT);
  assert_status(sp_get_grads(net, p, g, 1), SP_ERR_ARGUMENT);
}

/* More than 64 distinct EIF drives: the message names the first drive beyond them, its index
   and value (drives 1.00, 1.01, ..., 1.64: the 65th distinct one is drives[64]), from
   sp_network_create and sp_network_memory alike (an outside client's check of the header). */
static void test_too_many_distinct_drives_named(void **state) {
  enum { kN = 70 };
  fixture f;
  sp_network_desc d;
  sp_network *net = (sp_network *)&d; /* (must come back NULL) */
  double drives[kN];
  char want[96];
  size_t bytes = 0;
  int i, call;
  (void)state;
  for (i = 0; i < kN; ++i) drives[i] = 1.0 + 0.01 * (i % 65);
  fixture_init(&f, SP_MODEL_LIF);
  eif_params(&f); /* (the fixture's EIF parameters, for a description of its own) */
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_EIF;
  d.model_params = f.d.model_params;
  d.n = kN;
  d.drives = drives;
  snprintf(want, sizeof want, "drives[64] = %.17g: a distinct drive beyond the first 64 ",
           drives[64]);
  for (call = 0; call < 2; ++call) {
    sp_status s = call ? sp_network_memory(&d, &bytes) : sp_network_create(&d, &net);
    assert_int_equal(s, SP_ERR_UNSUPPORTED);
    if (strncmp(sp_last_error(), want, strlen(want)) != 0)
      fail_msg("message \"%s\", want it to start \"%s\"", sp_last_error(), want);
  }
  assert_null(net);
  /* 64 distinct drives are accepted. */
  d.n = 64;
  assert_int_equal(sp_network_create(&d, &net), SP_OK);
  sp_network_destroy(net);
}

static void test_empty_csr_with_weights_has_zero_weights(void **state) {
  int which;
  (void)state;
  for (which = 0; which < 3; ++which) {
    fixture f;
    sp_network *net, *back = NULL;
    uint64_t zero_rec[FN + 1] = {0}, zero_in[FNI + 1] = {0};
    uint32_t no_targets[1] = {0};
    double no_weights[1] = {0.5}, dl[64];
    sp_spike buf[64];
    size_t n_sp = 0, len = 0, k;
    unsigned char *bytes;
    fixture_init(&f, SP_MODEL_LIF);
    if (which != 1) { /* recurrent: zero synapses, a weights array */
      f.d.recurrent.row_ptr = zero_rec;
      f.d.recurrent.targets = no_targets;
      f.d.recurrent.weights = no_weights;
    }
    if (which != 0) { /* inputs: zero synapses, a weights array */
      f.d.inputs.row_ptr = zero_in;
      f.d.inputs.targets = no_targets;
      f.d.inputs.weights = no_weights;
    }
    net = create_ok(&f.d);
    assert_sp_ok(sp_record(net, 64));
    assert_sp_ok(sp_run(net, 0.02, buf, 64, &n_sp));
    for (k = 0; k < n_sp; ++k) dl[k] = 1.0;
    assert_sp_ok(sp_backward(net, dl, n_sp, NULL));
    if (which != 1) check_zero_weights(net, SP_PARAM_WEIGHTS, "recurrent");
    if (which != 0) check_zero_weights(net, SP_PARAM_INPUT_WEIGHTS, "inputs");
    assert_sp_ok(sp_save(net, NULL, 0, &len));
    bytes = (unsigned char *)malloc(len);
    assert_non_null(bytes);
    assert_sp_ok(sp_save(net, bytes, len, &len));
    assert_sp_ok(sp_load(bytes, len, NULL, &back));
    if (which != 1) check_zero_weights(back, SP_PARAM_WEIGHTS, "recurrent, loaded");
    if (which != 0) check_zero_weights(back, SP_PARAM_INPUT_WEIGHTS, "inputs, loaded");
    free(bytes);
    sp_network_destroy(back);
    sp_network_destroy(net);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixtures_are_valid),
      cmocka_unit_test(test_create_rejects),
      cmocka_unit_test(test_failed_create_nulls_out),
      cmocka_unit_test(test_create_null_arguments),
      cmocka_unit_test(test_create_accepts_boundaries),
      cmocka_unit_test(test_calls_reject_and_leave_network_unchanged),
      cmocka_unit_test(test_null_network),
      cmocka_unit_test(test_step_with_nothing_to_do),
      cmocka_unit_test(test_step_with_inputs_but_no_spike),
      cmocka_unit_test(test_input_queue_full),
      cmocka_unit_test(test_last_error_cleared_by_success),
      cmocka_unit_test(test_status_names),
      cmocka_unit_test(test_memory_and_allocation_failures),
      cmocka_unit_test(test_training_rejections),
      cmocka_unit_test(test_load_rejections),
      cmocka_unit_test(test_empty_csr_with_weights_has_zero_weights),
      cmocka_unit_test(test_too_many_distinct_drives_named),
  };
  return cmocka_run_group_tests_name("abi_rejections", tests, NULL, NULL);
}
