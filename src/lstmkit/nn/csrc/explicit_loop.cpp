// lstmkit's compiled time loop for the explicit backend (CPU), registered as torch.ops.lstmkit.*.
// Its twin in torch ops, for where this is not built, is explicit_loop.py (same arguments, same numbers).
//
// Only the two sequential loops live here; everything that is one big operation over all steps
// (the input projection, the weight gradients) stays in explicit.py. Gate blocks are in the
// internal order [o, i, f | g], the packed time-major layout is explained in schedule.py: step t
// holds rows offsets[t] .. offsets[t] + batch_sizes[t].
//
// forward_loop: per step  A_t += h_{t-1} W_hh^T;  o,i,f = sigmoid, g = tanh (in place);
//               c_t = f c_{t-1} + i g;  tanh(c_t);  r_t = o tanh(c_t);  h_t = r_t (W_hr^T).
// backward_loop: per step, in the opposite order, with running dh, dc (one row per sequence):
//               dr = (dy_t + dh) (W_hr);  dc += dr k;  dA_o = dr p_o;  dA_ifg = dc p_ifg;
//               dc *= f;  dh = dA_t W_hh  (k, p: explicit_loop.grad_factors, computed inline).
// The elementwise work of a step, forward and backward, is one fused loop each (vectorised by
// the compiler); no per-step tensor ops besides the matmuls (RowGemm, rows.h: oneDNN for float32).
// Deterministic: fixed loop order, no atomics.
#include <ATen/ATen.h>
#include <torch/library.h>

#include <cmath>
#include <vector>

#include "rows.h"

namespace {

using at::Tensor;
using lstmkit_rows::offsets_of;
using lstmkit_rows::prev_rows;
using lstmkit_rows::RowGemm;
using lstmkit_rows::rows_of;

// sigmoid written through exp, so that the compiler vectorises it (glibc's libmvec, built with
// -O3 -ffast-math); tanh(x) = 2 sigmoid(2x) - 1. The clamp keeps exp finite.
template <typename T>
inline T sigm(T x) {
  x = x < T(-60) ? T(-60) : (x > T(60) ? T(60) : x);
  return T(1) / (T(1) + std::exp(-x));
}

// One step's elementwise work, fused: add the recurrent part z = h_{t-1} W_hh^T to the input part,
// activate the gates in place, then c, tanh(c) and r.
template <typename T>
void cell_forward(T* __restrict gates, const T* __restrict z, const T* __restrict cp, T* __restrict c,
                  T* __restrict tc, T* __restrict r, int64_t n, int64_t hid) {
  for (int64_t j = 0; j < n; ++j) {
    T* a = gates + j * 4 * hid;
    const T* zj = z + j * 4 * hid;
    const T* cpj = cp + j * hid;
    T* cj = c + j * hid;
    T* tcj = tc + j * hid;
    T* rj = r + j * hid;
#pragma omp simd
    for (int64_t k = 0; k < hid; ++k) {
      const T o = sigm(a[k] + zj[k]), i = sigm(a[hid + k] + zj[hid + k]), f = sigm(a[2 * hid + k] + zj[2 * hid + k]);
      const T g = T(2) * sigm(T(2) * (a[3 * hid + k] + zj[3 * hid + k])) - T(1);
      a[k] = o;
      a[hid + k] = i;
      a[2 * hid + k] = f;
      a[3 * hid + k] = g;
      const T cv = f * cpj[k] + i * g;
      const T tv = T(2) * sigm(T(2) * cv) - T(1);
      cj[k] = cv;
      tcj[k] = tv;
      rj[k] = o * tv;
    }
  }
}

// gates (N, 4H) holds X W_ih^T + b on entry and the activated gates on exit; cell, tcell, r, out
// (N, H | P) are filled (r may be out). w_hh_t is (P, 4H), w_hr_t (H, P) or undefined.
template <typename T>
void forward_impl(Tensor gates, Tensor cell, Tensor tcell, Tensor r, Tensor out, Tensor h0, Tensor c0,
                  Tensor w_hh_t, std::optional<Tensor> w_hr_t, const std::vector<int64_t>& bs, bool reverse) {
  const int64_t steps_n = static_cast<int64_t>(bs.size()), hid = cell.size(1), pw = out.size(1);
  const bool proj = w_hr_t.has_value() && w_hr_t->defined();
  const auto off = offsets_of(bs);
  T *g = gates.data_ptr<T>(), *c = cell.data_ptr<T>(), *tc = tcell.data_ptr<T>(), *rp = r.data_ptr<T>();
  T* y = out.data_ptr<T>();
  Tensor h_buf = at::empty_like(h0), c_buf = at::empty_like(c0);
  Tensor z_buf = at::empty({bs[0], 4 * hid}, gates.options());
  const RowGemm recurrent(w_hh_t, bs[0]);
  for (int64_t s = 0; s < steps_n; ++s) {
    const int64_t t = reverse ? steps_n - 1 - s : s, n = bs[t], o = off[t];
    const T* hp = prev_rows<T>(y, h0.data_ptr<T>(), h_buf.data_ptr<T>(), bs, off, t, reverse, pw);
    const T* cp = prev_rows<T>(c, c0.data_ptr<T>(), c_buf.data_ptr<T>(), bs, off, t, reverse, hid);
    const T* z = recurrent.rows<T>(hp, n, z_buf.data_ptr<T>(), gates);  // (n, 4H)
    cell_forward<T>(g + o * 4 * hid, z, cp, c + o * hid, tc + o * hid, rp + o * hid, n, hid);
    if (proj) {
      Tensor y_t = rows_of(y + o * pw, n, pw, gates);
      at::mm_out(y_t, rows_of(rp + o * hid, n, hid, gates), *w_hr_t);
    }
  }
}

void forward_loop(Tensor gates, Tensor cell, Tensor tcell, Tensor r, Tensor out, Tensor h0, Tensor c0,
                  Tensor w_hh_t, std::optional<Tensor> w_hr_t, std::vector<int64_t> bs, bool reverse) {
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "lstmkit_forward_loop", [&] {
    forward_impl<scalar_t>(gates, cell, tcell, r, out, h0, c0, w_hh_t, w_hr_t, bs, reverse);
  });
}

// One step's elementwise backward, the gradient factors computed on the fly from the saved gates
// [o, i, f, g], tanh(c_t) and c_{t-1}:  dc += dr o (1 - tanh²c);  dA_o = dr tanh(c) σ'(o);
// dA_i = dc g σ'(i);  dA_f = dc c_{t-1} σ'(f);  dA_g = dc i (1 - g²);  dc *= f.
template <typename T>
void cell_backward(const T* __restrict dr, T* __restrict dc, const T* __restrict gates, const T* __restrict tc,
                   const T* __restrict cp, T* __restrict dg, int64_t n, int64_t hid) {
  for (int64_t j = 0; j < n; ++j) {
    const T* drj = dr + j * hid;
    T* dcj = dc + j * hid;
    const T* a = gates + j * 4 * hid;
    const T* tcj = tc + j * hid;
    const T* cpj = cp + j * hid;
    T* dgj = dg + j * 4 * hid;
#pragma omp simd
    for (int64_t q = 0; q < hid; ++q) {
      const T o = a[q], i = a[hid + q], f = a[2 * hid + q], g = a[3 * hid + q], t = tcj[q];
      const T d = dcj[q] + drj[q] * o * (T(1) - t * t);
      dgj[q] = drj[q] * t * (o - o * o);
      dgj[hid + q] = d * g * (i - i * i);
      dgj[2 * hid + q] = d * cpj[q] * (f - f * f);
      dgj[3 * hid + q] = d * i * (T(1) - g * g);
      dcj[q] = d * f;
    }
  }
}

// Fills d_gates (N, 4H) and, with projections, d_hid (N, P); updates dh_run (B, P) and dc_run
// (B, H) in place from dh_n, dc_n to dh_0, dc_0. gates (N, 4H) activated, tcell and cell (N, H)
// as the forward left them.
template <typename T>
void backward_impl(Tensor d_out, Tensor dh_run, Tensor dc_run, Tensor d_gates, std::optional<Tensor> d_hid,
                   Tensor gates, Tensor tcell, Tensor cell, Tensor c0, Tensor w_hh, std::optional<Tensor> w_hr,
                   const std::vector<int64_t>& bs, bool reverse) {
  const int64_t steps_n = static_cast<int64_t>(bs.size()), hid = cell.size(1), pw = dh_run.size(1);
  const bool proj = w_hr.has_value() && w_hr->defined();
  const auto off = offsets_of(bs);
  T *dh = dh_run.data_ptr<T>(), *dc = dc_run.data_ptr<T>(), *dg = d_gates.data_ptr<T>();
  const T *dy = d_out.data_ptr<T>(), *g = gates.data_ptr<T>(), *tc = tcell.data_ptr<T>(), *c = cell.data_ptr<T>();
  T* dhid = proj ? d_hid->data_ptr<T>() : nullptr;
  Tensor dr_buf = at::empty_like(dc_run), c_buf = at::empty_like(dc_run);
  const RowGemm recurrent(w_hh, bs[0]);  // dh_{t-1} = dA_t W_hh
  for (int64_t s = 0; s < steps_n; ++s) {
    const int64_t t = reverse ? s : steps_n - 1 - s, n = bs[t], o = off[t];  // the direction's order, backwards
    const T* dyt = dy + o * pw;
    const T* dr = dh;
    if (proj) {  // dr = (dy_t + dh) W_hr, the sum kept for dW_hr
      T* dht = dhid + o * pw;
#pragma omp simd
      for (int64_t k = 0; k < n * pw; ++k) dht[k] = dyt[k] + dh[k];
      Tensor dr_t = dr_buf.narrow(0, 0, n);
      at::mm_out(dr_t, rows_of(dht, n, pw, d_gates), *w_hr);
      dr = dr_buf.data_ptr<T>();
    } else {
#pragma omp simd
      for (int64_t k = 0; k < n * pw; ++k) dh[k] += dyt[k];
    }
    const T* cp = prev_rows<T>(c, c0.data_ptr<T>(), c_buf.data_ptr<T>(), bs, off, t, reverse, hid);
    cell_backward<T>(dr, dc, g + o * 4 * hid, tc + o * hid, cp, dg + o * 4 * hid, n, hid);
    recurrent.into<T>(dh, dg + o * 4 * hid, n, d_gates);
  }
}

void backward_loop(Tensor d_out, Tensor dh_run, Tensor dc_run, Tensor d_gates, std::optional<Tensor> d_hid,
                   Tensor gates, Tensor tcell, Tensor cell, Tensor c0, Tensor w_hh, std::optional<Tensor> w_hr,
                   std::vector<int64_t> bs, bool reverse) {
  AT_DISPATCH_FLOATING_TYPES(d_gates.scalar_type(), "lstmkit_backward_loop", [&] {
    backward_impl<scalar_t>(d_out, dh_run, dc_run, d_gates, d_hid, gates, tcell, cell, c0, w_hh, w_hr, bs, reverse);
  });
}

}  // namespace

TORCH_LIBRARY(lstmkit, m) {
  m.def("forward_loop(Tensor(a!) gates, Tensor(b!) cell, Tensor(c!) tcell, Tensor(d!) r, Tensor(e!) out, "
        "Tensor h0, Tensor c0, Tensor w_hh_t, Tensor? w_hr_t, int[] batch_sizes, bool reverse) -> ()");
  m.def("backward_loop(Tensor d_out, Tensor(a!) dh_run, Tensor(b!) dc_run, Tensor(c!) d_gates, "
        "Tensor(d!)? d_hid, Tensor gates, Tensor tcell, Tensor cell, Tensor c0, Tensor w_hh, Tensor? w_hr, "
        "int[] batch_sizes, "
        "bool reverse) -> ()");
}

TORCH_LIBRARY_IMPL(lstmkit, CPU, m) {
  m.impl("forward_loop", forward_loop);
  m.impl("backward_loop", backward_loop);
}
