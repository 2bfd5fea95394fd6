// lstmkit's compiled time loop for the LSTM variants (CPU), registered as torch.ops.lstmkit.variant_*.
//
// The step of lstmkit/nn/variants.py, gate blocks in torch's order [i, f, g, o], σ / φ the
// recurrent / cell activation (an index into variants.ACTIVATIONS), LN a row layer norm:
//
// variant_forward_loop, per step:
//   z = (m ⊙ h_{t-1}) W_hh^T;  A = a_x + LN_hh(z)   (pre holds a_x on entry, the pre-activations on exit)
//   a_i += p_i c_{t-1};  a_f += p_f c_{t-1};  i = σ(a_i);  f = σ(a_f) or 1 - i;  g = φ(a_g)
//   c_t = c̃ + k_c (c_{t-1} - c̃),  c̃ = f c_{t-1} + i g;  a_o += p_o c_t;  o = σ(a_o)
//   r = o φ(LN_c(c_t));  h_t = h̃ + k_h (h_{t-1} - h̃),  h̃ = r W_hr^T (or r)
// variant_backward_loop, per step in the opposite order, running dh, dc (one row per sequence):
//   dh̃ = (1 - k_h) dh;  dr = dh̃ W_hr;  dA_o = dr φ(cl) σ'(a_o);  dcl = dr o φ'(cl)
//   dc += LN_c'(dcl) + p_o dA_o;  dc̃ = (1 - k_c) dc;  dA_{i,f,g} from dc̃;  dc_{t-1} = k_c dc + f dc̃ + p_i dA_i + p_f dA_f
//   dz = LN_hh'(dA);  dh_{t-1} = k_h dh + m ⊙ (dz W_hh)
// The layer-norm and peephole gradients are summed over rows inside the loop (into acc, fixed
// order); the weight gradients are matmuls over all rows after it (variant_explicit.py). Deterministic: fixed loop order, no atomics.
#include <ATen/ATen.h>
#include <torch/library.h>

#include <cmath>
#include <optional>
#include <vector>

namespace {

using at::Tensor;
using OptT = std::optional<Tensor>;

constexpr double kEps = 1e-5;  // torch.nn.LayerNorm's default, as variants.LN_EPS

template <typename T>
inline T sigm(T x) {
  x = x < T(-60) ? T(-60) : (x > T(60) ? T(60) : x);
  return T(1) / (T(1) + std::exp(-x));
}

// y = act(x), elementwise; y may be x. Indices follow variants.ACTIVATIONS.
template <typename T>
void act_arr(int64_t k, const T* x, T* y, int64_t n) {
#define LOOP _Pragma("omp simd") for (int64_t q = 0; q < n; ++q)
  switch (k) {
    case 0: LOOP y[q] = T(2) * sigm(T(2) * x[q]) - T(1); break;                                    // tanh
    case 1: LOOP y[q] = sigm(x[q]); break;                                                         // sigmoid
    case 2: LOOP { T v = x[q] / T(6) + T(0.5); y[q] = v < T(0) ? T(0) : (v > T(1) ? T(1) : v); } break;  // hard_sigmoid
    case 3: LOOP y[q] = x[q] < T(-1) ? T(-1) : (x[q] > T(1) ? T(1) : x[q]); break;                // hard_tanh
    case 4: LOOP y[q] = x[q] > T(0) ? x[q] : T(0); break;                                          // relu
    case 5: LOOP y[q] = x[q] / (T(1) + std::abs(x[q])); break;                                     // softsign
    case 6: LOOP y[q] = x[q] > T(0) ? x[q] : std::expm1(x[q]); break;                              // elu
    case 7: LOOP y[q] = T(0.5) * x[q] * (T(1) + std::erf(x[q] * T(M_SQRT1_2))); break;             // gelu
    case 8: LOOP y[q] = x[q] * sigm(x[q]); break;                                                  // silu
    default: LOOP y[q] = x[q];                                                                     // identity
  }
}

// y = act'(x), with autograd's convention at the kinks; y may be x.
template <typename T>
void act_grad_arr(int64_t k, const T* x, T* y, int64_t n) {
  switch (k) {
    case 0: LOOP { T v = T(2) * sigm(T(2) * x[q]) - T(1); y[q] = T(1) - v * v; } break;
    case 1: LOOP { T s = sigm(x[q]); y[q] = s * (T(1) - s); } break;
    case 2: LOOP { T v = x[q] / T(6) + T(0.5); y[q] = (v >= T(0) && v <= T(1)) ? T(1) / T(6) : T(0); } break;
    case 3: LOOP y[q] = (x[q] > T(-1) && x[q] < T(1)) ? T(1) : T(0); break;
    case 4: LOOP y[q] = x[q] > T(0) ? T(1) : T(0); break;
    case 5: LOOP { T d = T(1) + std::abs(x[q]); y[q] = T(1) / (d * d); } break;
    case 6: LOOP y[q] = x[q] > T(0) ? T(1) : std::exp(x[q]); break;
    case 7: LOOP {
        T cdf = T(0.5) * (T(1) + std::erf(x[q] * T(M_SQRT1_2)));
        y[q] = cdf + x[q] * std::exp(T(-0.5) * x[q] * x[q]) * T(0.3989422804014327);
      } break;
    case 8: LOOP { T s = sigm(x[q]); y[q] = s * (T(1) + x[q] * (T(1) - s)); } break;
    default: LOOP y[q] = T(1);
  }
#undef LOOP
}

// out = (v - mean v) / sqrt(var v + eps) over one row; returns 1 / sqrt(var v + eps).
template <typename T>
T normalize(const T* v, T* out, int64_t n) {
  T mean = 0, var = 0;
  for (int64_t q = 0; q < n; ++q) mean += v[q];
  mean /= T(n);
  for (int64_t q = 0; q < n; ++q) var += (v[q] - mean) * (v[q] - mean);
  const T s = T(1) / std::sqrt(var / T(n) + T(kEps));
#pragma omp simd
  for (int64_t q = 0; q < n; ++q) out[q] = (v[q] - mean) * s;
  return s;
}

// dx = s (g - mean g - xn mean(g xn)): the layer norm's backward, g = dy * gain; dx may be g.
template <typename T>
void normalize_backward(const T* g, const T* xn, T s, T* dx, int64_t n) {
  T m1 = 0, m2 = 0;
  for (int64_t q = 0; q < n; ++q) {
    m1 += g[q];
    m2 += g[q] * xn[q];
  }
  m1 /= T(n);
  m2 /= T(n);
#pragma omp simd
  for (int64_t q = 0; q < n; ++q) dx[q] = s * (g[q] - m1 - xn[q] * m2);
}

template <typename T>
const T* ptr(const OptT& t) {
  return (t.has_value() && t->defined()) ? t->data_ptr<T>() : nullptr;
}

// Everything a step's elementwise work reads or writes, (N, X) buffers indexed by packed row.
template <typename T>
struct Cell {
  int64_t hid, act, ract;
  bool coupled;
  T *pre, *gates, *cell, *phic, *zn, *s_hh, *cn, *s_c;
  const T *ln_hh_w, *ln_hh_b, *ln_c_w, *ln_c_b, *peep, *kc;
  T* acc = nullptr;  // backward only: [dγ_hh, dβ_hh (4H each), dγ_c, dβ_c (H each)] | [dp (3H)], summed over rows
};

template <typename T>
Cell<T> make_cell(Tensor pre, Tensor gates, Tensor cell, Tensor phic, const OptT& zn, const OptT& s_hh,
                  const OptT& cn, const OptT& s_c, const OptT& ln_hh_w, const OptT& ln_hh_b, const OptT& ln_c_w,
                  const OptT& ln_c_b, const OptT& peep, const OptT& kc, int64_t act, int64_t ract, bool coupled) {
  return Cell<T>{cell.size(1), act, ract, coupled, pre.data_ptr<T>(), gates.data_ptr<T>(), cell.data_ptr<T>(),
                 phic.data_ptr<T>(), const_cast<T*>(ptr<T>(zn)), const_cast<T*>(ptr<T>(s_hh)),
                 const_cast<T*>(ptr<T>(cn)), const_cast<T*>(ptr<T>(s_c)), ptr<T>(ln_hh_w), ptr<T>(ln_hh_b),
                 ptr<T>(ln_c_w), ptr<T>(ln_c_b), ptr<T>(peep), ptr<T>(kc)};
}

// Rows row0 .. row0+n of one step: z (n, 4H) the recurrent product, cp (n, H) c_{t-1}; writes r (n, H).
template <typename T>
void cell_forward(const Cell<T>& P, const T* z, const T* cp, T* r, int64_t row0, int64_t n) {
  const int64_t H = P.hid, G = 4 * H;
  for (int64_t j = 0; j < n; ++j) {
    const int64_t R = row0 + j;
    T* a = P.pre + R * G;
    T* gt = P.gates + R * G;
    T* c = P.cell + R * H;
    T* ph = P.phic + R * H;
    const T* zj = z + j * G;
    const T* cpj = cp + j * H;
    if (P.zn) {
      T* znj = P.zn + R * G;
      P.s_hh[R] = normalize(zj, znj, G);
#pragma omp simd
      for (int64_t k = 0; k < G; ++k) a[k] += znj[k] * P.ln_hh_w[k] + P.ln_hh_b[k];
    } else {
#pragma omp simd
      for (int64_t k = 0; k < G; ++k) a[k] += zj[k];
    }
    if (P.peep) {
#pragma omp simd
      for (int64_t k = 0; k < H; ++k) {
        a[k] += P.peep[k] * cpj[k];
        a[H + k] += P.peep[H + k] * cpj[k];
      }
    }
    act_arr(P.ract, a, gt, H);
    if (P.coupled) {
#pragma omp simd
      for (int64_t k = 0; k < H; ++k) gt[H + k] = T(1) - gt[k];
    } else {
      act_arr(P.ract, a + H, gt + H, H);
    }
    act_arr(P.act, a + 2 * H, gt + 2 * H, H);
#pragma omp simd
    for (int64_t k = 0; k < H; ++k) c[k] = gt[H + k] * cpj[k] + gt[k] * gt[2 * H + k];
    if (P.kc) {
      const T* kc = P.kc + R * H;
#pragma omp simd
      for (int64_t k = 0; k < H; ++k) c[k] += kc[k] * (cpj[k] - c[k]);
    }
    if (P.peep) {
#pragma omp simd
      for (int64_t k = 0; k < H; ++k) a[3 * H + k] += P.peep[2 * H + k] * c[k];
    }
    act_arr(P.ract, a + 3 * H, gt + 3 * H, H);
    if (P.cn) {
      T* cnj = P.cn + R * H;
      P.s_c[R] = normalize(c, cnj, H);
#pragma omp simd
      for (int64_t k = 0; k < H; ++k) ph[k] = cnj[k] * P.ln_c_w[k] + P.ln_c_b[k];
    } else {
#pragma omp simd
      for (int64_t k = 0; k < H; ++k) ph[k] = c[k];
    }
    act_arr(P.act, ph, ph, H);
    T* rj = r + j * H;
#pragma omp simd
    for (int64_t k = 0; k < H; ++k) rj[k] = gt[3 * H + k] * ph[k];
  }
}

// Rows row0 .. row0+n of one step, backwards: dr (n, H), dc (n, H) running, in: dc_t, out: dc_{t-1};
// writes dA and dz (may be dA) rows and adds to P.acc; scratch holds 2H.
template <typename T>
void cell_backward(const Cell<T>& P, const T* dr, T* dc, const T* cp, T* dA, T* dz, T* scratch, int64_t row0,
                   int64_t n) {
  const int64_t H = P.hid, G = 4 * H;
  T* tmp = scratch;
  T* acc_ln = P.acc;                             // dγ_hh, dβ_hh, dγ_c, dβ_c
  T* acc_p = P.acc + (P.zn ? 10 * H : 0);        // dp_i, dp_f, dp_o
  for (int64_t j = 0; j < n; ++j) {
    const int64_t R = row0 + j;
    const T* a = P.pre + R * G;
    const T* gt = P.gates + R * G;
    const T* ph = P.phic + R * H;
    const T* drj = dr + j * H;
    const T* cpj = cp + j * H;
    T* dcj = dc + j * H;
    T* da = dA + R * G;
    T* dl = scratch + H;
    if (P.cn) {
      const T* cnj = P.cn + R * H;
#pragma omp simd
      for (int64_t k = 0; k < H; ++k) tmp[k] = cnj[k] * P.ln_c_w[k] + P.ln_c_b[k];
      act_grad_arr(P.act, tmp, tmp, H);
    } else {
      act_grad_arr(P.act, P.cell + R * H, tmp, H);
    }
#pragma omp simd
    for (int64_t k = 0; k < H; ++k) {
      dl[k] = drj[k] * gt[3 * H + k] * tmp[k];
      da[3 * H + k] = drj[k] * ph[k];
    }
    act_grad_arr(P.ract, a + 3 * H, tmp, H);
#pragma omp simd
    for (int64_t k = 0; k < H; ++k) da[3 * H + k] *= tmp[k];
    if (P.cn) {
      const T* cnj = P.cn + R * H;
#pragma omp simd
      for (int64_t k = 0; k < H; ++k) {
        acc_ln[8 * H + k] += dl[k] * cnj[k];
        acc_ln[9 * H + k] += dl[k];
        tmp[k] = dl[k] * P.ln_c_w[k];
      }
      normalize_backward(tmp, P.cn + R * H, P.s_c[R], tmp, H);
#pragma omp simd
      for (int64_t k = 0; k < H; ++k) dcj[k] += tmp[k];
    } else {
#pragma omp simd
      for (int64_t k = 0; k < H; ++k) dcj[k] += dl[k];
    }
    if (P.peep) {
#pragma omp simd
      for (int64_t k = 0; k < H; ++k) dcj[k] += da[3 * H + k] * P.peep[2 * H + k];
    }
    const T* kc = P.kc ? P.kc + R * H : nullptr;
#pragma omp simd
    for (int64_t k = 0; k < H; ++k) {
      const T keep = kc ? kc[k] : T(0);
      const T dt = dcj[k] * (T(1) - keep);  // dc̃
      da[k] = dt * gt[2 * H + k];
      da[H + k] = dt * cpj[k];
      da[2 * H + k] = dt * gt[k];
      dcj[k] = dcj[k] * keep + dt * gt[H + k];
    }
    if (P.coupled) {
#pragma omp simd
      for (int64_t k = 0; k < H; ++k) {
        da[k] -= da[H + k];
        da[H + k] = T(0);
      }
    } else {
      act_grad_arr(P.ract, a + H, tmp, H);
#pragma omp simd
      for (int64_t k = 0; k < H; ++k) da[H + k] *= tmp[k];
    }
    act_grad_arr(P.ract, a, tmp, H);
#pragma omp simd
    for (int64_t k = 0; k < H; ++k) da[k] *= tmp[k];
    act_grad_arr(P.act, a + 2 * H, tmp, H);
#pragma omp simd
    for (int64_t k = 0; k < H; ++k) da[2 * H + k] *= tmp[k];
    if (P.peep) {
      const T* c = P.cell + R * H;
#pragma omp simd
      for (int64_t k = 0; k < H; ++k) {
        dcj[k] += da[k] * P.peep[k] + da[H + k] * P.peep[H + k];
        acc_p[k] += da[k] * cpj[k];
        acc_p[H + k] += da[H + k] * cpj[k];
        acc_p[2 * H + k] += da[3 * H + k] * c[k];
      }
    }
    if (P.zn) {
      T* dzj = dz + R * G;
      const T* znj = P.zn + R * G;
#pragma omp simd
      for (int64_t k = 0; k < G; ++k) {
        acc_ln[k] += da[k] * znj[k];
        acc_ln[G + k] += da[k];
        dzj[k] = da[k] * P.ln_hh_w[k];
      }
      normalize_backward(dzj, P.zn + R * G, P.s_hh[R], dzj, G);
    }
  }
}

Tensor prev_state(const std::vector<Tensor>& steps, const Tensor& init, const std::vector<int64_t>& bs, int64_t t,
                  bool reverse) {
  const int64_t n = bs[t], q = reverse ? t + 1 : t - 1, steps_n = static_cast<int64_t>(bs.size());
  if (q < 0 || q >= steps_n) return n == init.size(0) ? init : init.narrow(0, 0, n);
  const int64_t m = bs[q];
  if (m == n) return steps[q];
  if (m > n) return steps[q].narrow(0, 0, n);
  return at::cat({steps[q], init.narrow(0, m, n - m)}).contiguous();
}

std::vector<Tensor> split_rows(const Tensor& seq, const std::vector<int64_t>& bs) {
  std::vector<Tensor> out;
  int64_t off = 0;
  for (int64_t n : bs) {
    out.push_back(seq.narrow(0, off, n));
    off += n;
  }
  return out;
}

bool has(const OptT& t) { return t.has_value() && t->defined(); }

std::vector<int64_t> offsets_of(const std::vector<int64_t>& bs) {
  std::vector<int64_t> off(bs.size(), 0);
  for (size_t t = 1; t < bs.size(); ++t) off[t] = off[t - 1] + bs[t - 1];
  return off;
}

void variant_forward_loop(Tensor pre, Tensor gates, Tensor cell, Tensor phic, Tensor r, Tensor out, OptT zn,
                          OptT s_hh, OptT cn, OptT s_c, Tensor h0, Tensor c0, Tensor w_hh_t, OptT w_hr_t,
                          OptT ln_hh_w, OptT ln_hh_b, OptT ln_c_w, OptT ln_c_b, OptT peep, OptT h_mask, OptT kc,
                          OptT kh, int64_t act, int64_t ract, bool coupled, std::vector<int64_t> bs, bool reverse) {
  const int64_t steps_n = static_cast<int64_t>(bs.size()), batch = bs[0];
  const bool proj = has(w_hr_t), zone_h = has(kh), masked = has(h_mask);
  auto off = offsets_of(bs);
  auto y_s = split_rows(out, bs), c_s = split_rows(cell, bs), r_s = split_rows(r, bs);
  std::vector<Tensor> kh_s = zone_h ? split_rows(*kh, bs) : std::vector<Tensor>();
  Tensor z_buf = at::empty({batch, pre.size(1)}, pre.options());
  Tensor hr_buf = masked ? at::empty_like(h0) : Tensor();
  Tensor ht_buf = (proj && zone_h) ? at::empty_like(h0) : Tensor();
  for (int64_t s = 0; s < steps_n; ++s) {
    const int64_t t = reverse ? steps_n - 1 - s : s, n = bs[t];
    Tensor hp = prev_state(y_s, h0, bs, t, reverse);
    Tensor cp = prev_state(c_s, c0, bs, t, reverse).contiguous();
    Tensor hr = hp;
    if (masked) {
      hr = hr_buf.narrow(0, 0, n);
      at::mul_out(hr, hp, h_mask->narrow(0, 0, n));
    }
    Tensor z = z_buf.narrow(0, 0, n);
    at::mm_out(z, hr, w_hh_t);
    AT_DISPATCH_FLOATING_TYPES(pre.scalar_type(), "lstmkit_variant_forward", [&] {
      auto P = make_cell<scalar_t>(pre, gates, cell, phic, zn, s_hh, cn, s_c, ln_hh_w, ln_hh_b, ln_c_w, ln_c_b, peep,
                                   kc, act, ract, coupled);
      cell_forward<scalar_t>(P, z.data_ptr<scalar_t>(), cp.data_ptr<scalar_t>(), r_s[t].data_ptr<scalar_t>(),
                             off[t], n);
    });
    Tensor y = y_s[t], ht = r_s[t];
    if (proj) {
      ht = zone_h ? ht_buf.narrow(0, 0, n) : y;
      at::mm_out(ht, r_s[t], *w_hr_t);
    }
    if (zone_h) {  // h = h̃ + k_h (h_{t-1} - h̃)
      at::sub_out(y, hp, ht);
      y.mul_(kh_s[t]).add_(ht);
    } else if (!proj) {
      y.copy_(ht);
    }
  }
}

void variant_backward_loop(Tensor d_out, Tensor dh_run, Tensor dc_run, Tensor dA, Tensor dz, Tensor d_hid, Tensor acc,
                           Tensor pre, Tensor gates, Tensor cell, Tensor phic, OptT zn, OptT s_hh, OptT cn, OptT s_c,
                           Tensor c0, Tensor w_hh, OptT w_hr, OptT ln_hh_w, OptT ln_c_w, OptT ln_c_b, OptT peep,
                           OptT h_mask, OptT kc, OptT kh, int64_t act, int64_t ract, bool coupled,
                           std::vector<int64_t> bs, bool reverse) {
  const int64_t steps_n = static_cast<int64_t>(bs.size()), hid = cell.size(1);
  const bool proj = has(w_hr), zone_h = has(kh), masked = has(h_mask);
  auto off = offsets_of(bs);
  auto dy_s = split_rows(d_out, bs), dht_s = split_rows(d_hid, bs), c_s = split_rows(cell, bs);
  auto dz_s = split_rows(dz, bs);
  std::vector<Tensor> kh_s = zone_h ? split_rows(*kh, bs) : std::vector<Tensor>();
  Tensor dr_buf = proj ? at::empty_like(dc_run) : Tensor();
  Tensor tmp_buf = masked ? at::empty_like(dh_run) : Tensor();
  Tensor scratch = at::empty({2 * hid}, dc_run.options());
  for (int64_t s = 0; s < steps_n; ++s) {
    const int64_t t = reverse ? s : steps_n - 1 - s, n = bs[t];
    Tensor dh = dh_run.narrow(0, 0, n), dc = dc_run.narrow(0, 0, n), dht = dht_s[t];
    dh.add_(dy_s[t]);
    if (zone_h) {  // dh̃ = dh - k_h dh
      at::mul_out(dht, dh, kh_s[t]);
      at::sub_out(dht, dh, dht);
    } else {
      dht.copy_(dh);
    }
    Tensor dr = dht;
    if (proj) {
      dr = dr_buf.narrow(0, 0, n);
      at::mm_out(dr, dht, *w_hr);
    }
    Tensor cp = prev_state(c_s, c0, bs, t, reverse).contiguous();
    AT_DISPATCH_FLOATING_TYPES(pre.scalar_type(), "lstmkit_variant_backward", [&] {
      OptT none;
      auto P = make_cell<scalar_t>(pre, gates, cell, phic, zn, s_hh, cn, s_c, ln_hh_w, none, ln_c_w, ln_c_b, peep, kc,
                                   act, ract, coupled);
      P.acc = acc.data_ptr<scalar_t>();
      cell_backward<scalar_t>(P, dr.data_ptr<scalar_t>(), dc.data_ptr<scalar_t>(), cp.data_ptr<scalar_t>(),
                              dA.data_ptr<scalar_t>(), dz.data_ptr<scalar_t>(), scratch.data_ptr<scalar_t>(), off[t], n);
    });
    if (zone_h) dh.mul_(kh_s[t]);
    if (masked) {
      Tensor tmp = tmp_buf.narrow(0, 0, n);
      at::mm_out(tmp, dz_s[t], w_hh);
      if (zone_h) {
        dh.addcmul_(tmp, h_mask->narrow(0, 0, n));
      } else {
        at::mul_out(dh, tmp, h_mask->narrow(0, 0, n));
      }
    } else if (zone_h) {
      dh.addmm_(dz_s[t], w_hh);
    } else {
      at::mm_out(dh, dz_s[t], w_hh);
    }
  }
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(lstmkit, m) {
  m.def("variant_forward_loop(Tensor(a!) pre, Tensor(b!) gates, Tensor(c!) cell, Tensor(d!) phic, Tensor(e!) r, "
        "Tensor(f!) out, Tensor(g!)? zn, Tensor(h!)? s_hh, Tensor(i!)? cn, Tensor(j!)? s_c, Tensor h0, Tensor c0, "
        "Tensor w_hh_t, Tensor? w_hr_t, Tensor? ln_hh_w, Tensor? ln_hh_b, Tensor? ln_c_w, Tensor? ln_c_b, "
        "Tensor? peep, Tensor? h_mask, Tensor? kc, Tensor? kh, int act, int ract, bool coupled, int[] batch_sizes, "
        "bool reverse) -> ()");
  m.def("variant_backward_loop(Tensor d_out, Tensor(a!) dh_run, Tensor(b!) dc_run, Tensor(c!) dA, Tensor(d!) dz, "
        "Tensor(e!) d_hid, Tensor(f!) acc, Tensor pre, Tensor gates, Tensor cell, Tensor phic, Tensor? zn, "
        "Tensor? s_hh, Tensor? cn, Tensor? s_c, Tensor c0, Tensor w_hh, Tensor? w_hr, Tensor? ln_hh_w, "
        "Tensor? ln_c_w, Tensor? ln_c_b, Tensor? peep, Tensor? h_mask, Tensor? kc, Tensor? kh, int act, int ract, "
        "bool coupled, int[] batch_sizes, bool reverse) -> ()");
}

TORCH_LIBRARY_IMPL(lstmkit, CPU, m) {
  m.impl("variant_forward_loop", variant_forward_loop);
  m.impl("variant_backward_loop", variant_backward_loop);
}
