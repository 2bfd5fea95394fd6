// lstmkit's compiled time loop for the LSTM variants (CPU), registered as torch.ops.lstmkit.variant_*.
// Its twin in torch ops, for where this is not built, is variant_loop.py (same arguments, same numbers).
//
// The step of lstmkit/nn/reference.py, gate blocks in torch's order [i, f, g, o], σ / φ the
// recurrent / cell activation (an index into variants.ACTIVATIONS), LN a row layer norm:
//
// variant_forward_loop, per step:
//   z = (m ⊙ h_{t-1}) W_hh^T;  A = a_x + LN_hh(z)   (pre holds a_x on entry, the pre-activations on exit)
//   a_i += p_i c_{t-1};  a_f += p_f c_{t-1};  i = σ(a_i);  f = σ(a_f) or 1 - i;  g = φ(a_g)
//   c_t = c̃ + k_c (c_{t-1} - c̃),  c̃ = f c_{t-1} + i g;  a_o += p_o c_t;  o = σ(a_o)
//   r = o φ(LN_c(c_t));  h_t = h̃ + k_h (h_{t-1} - h̃),  h̃ = r W_hr^T (or r)
// variant_backward_loop, per step in the opposite order, running dh, dc (one row per sequence):
//   dh̃ = (1 - k_h) dh;  dr = dh̃ W_hr;  dA_o = dr φ(cl) σ'(a_o);  dcl = dr o φ'(cl)
//   dc += LN_c'(dcl) + p_o dA_o;  dc̃ = (1 - k_c) dc;  dA_{i,f,g} from dc̃;
//   dc_{t-1} = k_c dc + f dc̃ + p_i dA_i + p_f dA_f
//   dz = LN_hh'(dA);  dh_{t-1} = k_h dh + m ⊙ (dz W_hh)
// The layer-norm and peephole gradients are summed over rows inside the loop (into acc, fixed
// order); the weight gradients are matmuls over all rows after it (variant_explicit.py).
// Deterministic: fixed loop order, no atomics. Everything but the matmuls works on raw rows of
// the packed (N, X) buffers, no per-step tensor ops besides at::mm_out; the row-level math is
// in variant_cell.h.
#include <ATen/ATen.h>
#include <torch/library.h>

#include <cstring>
#include <vector>

#include "rows.h"
#include "variant_cell.h"

namespace {

using namespace lstmkit_variant;
using lstmkit_rows::offsets_of;
using lstmkit_rows::prev_rows;
using lstmkit_rows::RowGemm;
using lstmkit_rows::rows_of;

bool has(const OptT& t) { return t.has_value() && t->defined(); }

template <typename T>
void forward_impl(Tensor pre, Tensor gates, Tensor cell, Tensor phic, Tensor r, Tensor out, OptT zn, OptT s_hh,
                  OptT cn, OptT s_c, Tensor h0, Tensor c0, Tensor w_hh_t, OptT w_hr_t, OptT ln_hh_w, OptT ln_hh_b,
                  OptT ln_c_w, OptT ln_c_b, OptT peep, OptT h_mask, OptT kc, OptT kh, int64_t act, int64_t ract,
                  bool coupled, const std::vector<int64_t>& bs, bool reverse) {
  const int64_t steps_n = static_cast<int64_t>(bs.size()), batch = bs[0], hid = cell.size(1), pw = out.size(1);
  const bool proj = has(w_hr_t);
  const auto off = offsets_of(bs);
  const auto P = make_cell<T>(pre, gates, cell, phic, zn, s_hh, cn, s_c, ln_hh_w, ln_hh_b, ln_c_w, ln_c_b, peep, kc,
                              act, ract, coupled);
  T *y = out.data_ptr<T>(), *rp = r.data_ptr<T>();
  const T *h0p = h0.data_ptr<T>(), *c0p = c0.data_ptr<T>(), *mask = ptr<T>(h_mask), *khp = ptr<T>(kh);
  const RowGemm recurrent(w_hh_t, batch);
  Tensor z_buf = at::empty({batch, 4 * hid}, pre.options());
  Tensor h_buf = at::empty({3, batch, pw}, pre.options());  // masked h, assembled h, h̃
  Tensor c_buf = at::empty({batch, hid}, pre.options());
  T *hr_b = h_buf[0].data_ptr<T>(), *hp_b = h_buf[1].data_ptr<T>(), *ht_b = h_buf[2].data_ptr<T>();
  for (int64_t s = 0; s < steps_n; ++s) {
    const int64_t t = reverse ? steps_n - 1 - s : s, n = bs[t], o = off[t];
    const T* hp = prev_rows<T>(y, h0p, hp_b, bs, off, t, reverse, pw);
    const T* cp = prev_rows<T>(P.cell, c0p, c_buf.data_ptr<T>(), bs, off, t, reverse, hid);
    const T* hr = hp;
    if (mask) {
#pragma omp simd
      for (int64_t k = 0; k < n * pw; ++k) hr_b[k] = hp[k] * mask[k];
      hr = hr_b;
    }
    const T* z = recurrent.rows<T>(hr, n, z_buf.data_ptr<T>(), pre);  // (n, 4H)
    cell_forward<T>(P, z, cp, rp + o * hid, o, n);
    T* yt = y + o * pw;
    const T* ht = rp + o * hid;  // h̃ = r without projection
    if (proj) {
      T* dst = khp ? ht_b : yt;
      Tensor ht_t = rows_of(dst, n, pw, pre);
      at::mm_out(ht_t, rows_of(rp + o * hid, n, hid, pre), *w_hr_t);
      ht = dst;
    }
    if (khp) {  // h = h̃ + k_h (h_{t-1} - h̃)
      const T* k_t = khp + o * pw;
#pragma omp simd
      for (int64_t k = 0; k < n * pw; ++k) yt[k] = ht[k] + k_t[k] * (hp[k] - ht[k]);
    } else if (ht != yt) {
      std::memcpy(yt, ht, sizeof(T) * n * pw);
    }
  }
}

template <typename T>
void backward_impl(Tensor d_out, Tensor dh_run, Tensor dc_run, Tensor dA, Tensor dz, OptT d_hid, Tensor acc,
                   Tensor pre, Tensor gates, Tensor cell, Tensor phic, OptT zn, OptT s_hh, OptT cn, OptT s_c, Tensor c0,
                   Tensor w_hh, OptT w_hr, OptT ln_hh_w, OptT ln_c_w, OptT ln_c_b, OptT peep, OptT h_mask, OptT kc,
                   OptT kh, int64_t act, int64_t ract, bool coupled, const std::vector<int64_t>& bs, bool reverse) {
  const int64_t steps_n = static_cast<int64_t>(bs.size()), batch = bs[0], hid = cell.size(1), pw = dh_run.size(1);
  const bool proj = has(w_hr);
  const auto off = offsets_of(bs);
  OptT none;
  auto P = make_cell<T>(pre, gates, cell, phic, zn, s_hh, cn, s_c, ln_hh_w, none, ln_c_w, ln_c_b, peep, kc, act,
                        ract, coupled);
  P.acc = acc.data_ptr<T>();
  T *dh = dh_run.data_ptr<T>(), *dc = dc_run.data_ptr<T>(), *dAp = dA.data_ptr<T>(), *dzp = dz.data_ptr<T>();
  const T *dy = d_out.data_ptr<T>(), *c0p = c0.data_ptr<T>(), *mask = ptr<T>(h_mask), *khp = ptr<T>(kh);
  T* dhid = proj ? d_hid->data_ptr<T>() : nullptr;
  Tensor bufs = at::empty({2, batch, std::max(pw, hid)}, pre.options());  // dh̃ or dr, then dz W_hh
  Tensor c_buf = at::empty({batch, hid}, pre.options());
  Tensor scratch = at::empty({2 * hid}, pre.options());
  const RowGemm recurrent(w_hh, batch);
  T *b0 = bufs[0].data_ptr<T>(), *b1 = bufs[1].data_ptr<T>();
  for (int64_t s = 0; s < steps_n; ++s) {
    const int64_t t = reverse ? s : steps_n - 1 - s, n = bs[t], o = off[t];
    const T* dyt = dy + o * pw;
#pragma omp simd
    for (int64_t k = 0; k < n * pw; ++k) dh[k] += dyt[k];
    const T* dht = dh;  // dh̃ = dh - k_h dh
    if (proj || khp) {
      T* dst = proj ? dhid + o * pw : b0;
      const T* k_t = khp ? khp + o * pw : nullptr;
      if (k_t) {
#pragma omp simd
        for (int64_t k = 0; k < n * pw; ++k) dst[k] = dh[k] - k_t[k] * dh[k];
      } else {
        std::memcpy(dst, dh, sizeof(T) * n * pw);
      }
      dht = dst;
    }
    const T* dr = dht;
    if (proj) {
      Tensor dr_t = rows_of(b0, n, hid, pre);
      at::mm_out(dr_t, rows_of(dht, n, pw, pre), *w_hr);
      dr = b0;
    }
    const T* cp = prev_rows<T>(P.cell, c0p, c_buf.data_ptr<T>(), bs, off, t, reverse, hid);
    cell_backward<T>(P, dr, dc, cp, dAp, dzp, scratch.data_ptr<T>(), o, n);
    recurrent.into<T>(!mask && !khp ? dh : b1, dzp + o * 4 * hid, n, pre);  // dh_{t-1} = k_h dh + m ⊙ (dz W_hh)
    if (!mask && !khp) continue;
    const T* k_t = khp ? khp + o * pw : nullptr;
#pragma omp simd
    for (int64_t k = 0; k < n * pw; ++k) {
      dh[k] = (k_t ? k_t[k] * dh[k] : T(0)) + (mask ? mask[k] * b1[k] : b1[k]);
    }
  }
}

void variant_forward_loop(Tensor pre, Tensor gates, Tensor cell, Tensor phic, Tensor r, Tensor out, OptT zn,
                          OptT s_hh, OptT cn, OptT s_c, Tensor h0, Tensor c0, Tensor w_hh_t, OptT w_hr_t,
                          OptT ln_hh_w, OptT ln_hh_b, OptT ln_c_w, OptT ln_c_b, OptT peep, OptT h_mask, OptT kc,
                          OptT kh, int64_t act, int64_t ract, bool coupled, std::vector<int64_t> bs, bool reverse) {
  AT_DISPATCH_FLOATING_TYPES(pre.scalar_type(), "lstmkit_variant_forward", [&] {
    forward_impl<scalar_t>(pre, gates, cell, phic, r, out, zn, s_hh, cn, s_c, h0, c0, w_hh_t, w_hr_t, ln_hh_w,
                           ln_hh_b, ln_c_w, ln_c_b, peep, h_mask, kc, kh, act, ract, coupled, bs, reverse);
  });
}

void variant_backward_loop(Tensor d_out, Tensor dh_run, Tensor dc_run, Tensor dA, Tensor dz, OptT d_hid, Tensor acc,
                           Tensor pre, Tensor gates, Tensor cell, Tensor phic, OptT zn, OptT s_hh, OptT cn, OptT s_c,
                           Tensor c0, Tensor w_hh, OptT w_hr, OptT ln_hh_w, OptT ln_c_w, OptT ln_c_b, OptT peep,
                           OptT h_mask, OptT kc, OptT kh, int64_t act, int64_t ract, bool coupled,
                           std::vector<int64_t> bs, bool reverse) {
  AT_DISPATCH_FLOATING_TYPES(pre.scalar_type(), "lstmkit_variant_backward", [&] {
    backward_impl<scalar_t>(d_out, dh_run, dc_run, dA, dz, d_hid, acc, pre, gates, cell, phic, zn, s_hh, cn, s_c, c0,
                            w_hh, w_hr, ln_hh_w, ln_c_w, ln_c_b, peep, h_mask, kc, kh, act, ract, coupled, bs,
                            reverse);
  });
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(lstmkit, m) {
  m.def("variant_forward_loop(Tensor(a!) pre, Tensor(b!) gates, Tensor(c!) cell, Tensor(d!) phic, Tensor(e!) r, "
        "Tensor(f!) out, Tensor(g!)? zn, Tensor(h!)? s_hh, Tensor(i!)? cn, Tensor(j!)? s_c, Tensor h0, Tensor c0, "
        "Tensor w_hh_t, Tensor? w_hr_t, Tensor? ln_hh_w, Tensor? ln_hh_b, Tensor? ln_c_w, Tensor? ln_c_b, "
        "Tensor? peep, Tensor? h_mask, Tensor? kc, Tensor? kh, int act, int ract, bool coupled, int[] batch_sizes, "
        "bool reverse) -> ()");
  m.def("variant_backward_loop(Tensor d_out, Tensor(a!) dh_run, Tensor(b!) dc_run, Tensor(c!) dA, Tensor(d!) dz, "
        "Tensor(e!)? d_hid, Tensor(f!) acc, Tensor pre, Tensor gates, Tensor cell, Tensor phic, Tensor? zn, "
        "Tensor? s_hh, Tensor? cn, Tensor? s_c, Tensor c0, Tensor w_hh, Tensor? w_hr, Tensor? ln_hh_w, "
        "Tensor? ln_c_w, Tensor? ln_c_b, Tensor? peep, Tensor? h_mask, Tensor? kc, Tensor? kh, int act, int ract, "
        "bool coupled, int[] batch_sizes, bool reverse) -> ()");
}

TORCH_LIBRARY_IMPL(lstmkit, CPU, m) {
  m.impl("variant_forward_loop", variant_forward_loop);
  m.impl("variant_backward_loop", variant_backward_loop);
}
