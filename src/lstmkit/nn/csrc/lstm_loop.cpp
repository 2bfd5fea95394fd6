// lstmkit's compiled time loop for the explicit backend (CPU), registered as torch.ops.lstmkit.*.
//
// Only the two sequential loops live here; everything that is one big operation over all steps
// (the input projection, the weight gradients) stays in explicit.py. Gate blocks are in the internal order [o, i, f | g], the packed time-major layout
// is explained in schedule.py: step t holds rows offsets[t] .. offsets[t] + batch_sizes[t].
//
// forward_loop: per step  A_t += h_{t-1} W_hh^T;  o,i,f = sigmoid, g = tanh (in place);
//               c_t = f c_{t-1} + i g;  tanh(c_t);  r_t = o tanh(c_t);  h_t = r_t (W_hr^T).
// backward_loop: per step, in the opposite order, with running dh, dc (one row per sequence):
//               dr = (dy_t + dh) (W_hr);  dc += dr k;  dA_o = dr p_o;  dA_ifg = dc p_ifg;
//               dc *= f;  dh = dA_t W_hh  (k, p the factors of explicit.grad_factors, computed inline).
// The elementwise work of a step, forward and backward, is one fused loop each (vectorised by
// the compiler). No per-step allocations except where a reverse
// direction's batch grows. Deterministic: fixed loop order, no atomics.
#include <ATen/ATen.h>
#include <torch/library.h>

#include <cmath>
#include <vector>

namespace {

using at::Tensor;

// The state step t starts from: the previous step's rows, topped up from init (a reverse
// direction's batch grows).
Tensor prev_state(const std::vector<Tensor>& steps, const Tensor& init, const std::vector<int64_t>& bs,
                  int64_t t, bool reverse) {
  const int64_t n = bs[t];
  const int64_t q = reverse ? t + 1 : t - 1;
  const int64_t steps_n = static_cast<int64_t>(bs.size());
  if (q < 0 || q >= steps_n) return n == init.size(0) ? init : init.narrow(0, 0, n);
  const int64_t m = bs[q];
  if (m == n) return steps[q];
  if (m > n) return steps[q].narrow(0, 0, n);
  return at::cat({steps[q], init.narrow(0, m, n - m)}).contiguous();
}

std::vector<Tensor> split_rows(const Tensor& seq, const std::vector<int64_t>& bs) {
  std::vector<Tensor> out;
  out.reserve(bs.size());
  int64_t off = 0;
  for (int64_t n : bs) {
    out.push_back(seq.narrow(0, off, n));
    off += n;
  }
  return out;
}

// sigmoid written through exp, so that the compiler vectorises it (glibc's libmvec, built with
// -O3 -ffast-math); tanh(x) = 2 sigmoid(2x) - 1. The clamp keeps exp finite.
template <typename T>
inline T sigm(T x) {
  x = x < T(-60) ? T(-60) : (x > T(60) ? T(60) : x);
  return T(1) / (T(1) + std::exp(-x));
}

// One step's elementwise work, fused: activate the gates in place, then c, tanh(c) and r.
template <typename T>
void cell_forward(T* __restrict gates, const T* __restrict cp, T* __restrict c, T* __restrict tc,
                  T* __restrict r, int64_t n, int64_t hid) {
  for (int64_t j = 0; j < n; ++j) {
    T* a = gates + j * 4 * hid;
    const T* cpj = cp + j * hid;
    T* cj = c + j * hid;
    T* tcj = tc + j * hid;
    T* rj = r + j * hid;
#pragma omp simd
    for (int64_t k = 0; k < hid; ++k) {
      const T o = sigm(a[k]), i = sigm(a[hid + k]), f = sigm(a[2 * hid + k]);
      const T g = T(2) * sigm(T(2) * a[3 * hid + k]) - T(1);
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
// (N, H | P) are filled. w_hh_t is (P, 4H), w_hr_t (H, P) or undefined.
void forward_loop(Tensor gates, Tensor cell, Tensor tcell, Tensor r, Tensor out, Tensor h0, Tensor c0,
                  Tensor w_hh_t, std::optional<Tensor> w_hr_t, std::vector<int64_t> bs, bool reverse) {
  const int64_t steps_n = static_cast<int64_t>(bs.size());
  const int64_t hid = cell.size(1);
  const bool proj = w_hr_t.has_value() && w_hr_t->defined();
  auto g_s = split_rows(gates, bs), c_s = split_rows(cell, bs), tc_s = split_rows(tcell, bs);
  auto r_s = split_rows(r, bs), y_s = split_rows(out, bs);
  for (int64_t s = 0; s < steps_n; ++s) {
    const int64_t t = reverse ? steps_n - 1 - s : s;
    const int64_t n = bs[t];
    Tensor hp = prev_state(y_s, h0, bs, t, reverse);
    Tensor cp = prev_state(c_s, c0, bs, t, reverse).contiguous();
    Tensor g = g_s[t];
    g.addmm_(hp, w_hh_t);
    AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "lstmkit_forward_loop", [&] {
      cell_forward<scalar_t>(g.data_ptr<scalar_t>(), cp.data_ptr<scalar_t>(), c_s[t].data_ptr<scalar_t>(),
                             tc_s[t].data_ptr<scalar_t>(), r_s[t].data_ptr<scalar_t>(), n, hid);
    });
    if (proj) at::mm_out(y_s[t], r_s[t], *w_hr_t);
  }
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
void backward_loop(Tensor d_out, Tensor dh_run, Tensor dc_run, Tensor d_gates, std::optional<Tensor> d_hid,
                   Tensor gates, Tensor tcell, Tensor cell, Tensor c0, Tensor w_hh, std::optional<Tensor> w_hr,
                   std::vector<int64_t> bs, bool reverse) {
  const int64_t steps_n = static_cast<int64_t>(bs.size());
  const int64_t hid = cell.size(1);
  const bool proj = w_hr.has_value() && w_hr->defined();
  auto dg_s = split_rows(d_gates, bs), dy_s = split_rows(d_out, bs), gate_s = split_rows(gates, bs);
  auto tc_s = split_rows(tcell, bs), c_s = split_rows(cell, bs);
  std::vector<Tensor> dhid_s;
  Tensor dr_buf;
  if (proj) {
    dhid_s = split_rows(*d_hid, bs);
    dr_buf = at::empty_like(dc_run);
  }
  for (int64_t s = 0; s < steps_n; ++s) {
    const int64_t t = reverse ? s : steps_n - 1 - s;  // the direction's order, backwards
    const int64_t n = bs[t];
    Tensor dh = dh_run.narrow(0, 0, n), dc = dc_run.narrow(0, 0, n);
    Tensor dr;
    if (proj) {
      at::add_out(dhid_s[t], dy_s[t], dh);
      dr = dr_buf.narrow(0, 0, n);
      at::mm_out(dr, dhid_s[t], *w_hr);
    } else {
      dh.add_(dy_s[t]);
      dr = dh;
    }
    Tensor cp = prev_state(c_s, c0, bs, t, reverse).contiguous();
    AT_DISPATCH_FLOATING_TYPES(d_gates.scalar_type(), "lstmkit_backward_loop", [&] {
      cell_backward<scalar_t>(dr.data_ptr<scalar_t>(), dc.data_ptr<scalar_t>(), gate_s[t].data_ptr<scalar_t>(),
                              tc_s[t].data_ptr<scalar_t>(), cp.data_ptr<scalar_t>(), dg_s[t].data_ptr<scalar_t>(), n,
                              hid);
    });
    at::mm_out(dh, dg_s[t], w_hh);
  }
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
