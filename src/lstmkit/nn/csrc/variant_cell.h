// The elementwise work of one step of the LSTM variants, forward and backward, row by row
// (see variant_loop.cpp for the equations and the time loops that call it).
#pragma once

#include <ATen/ATen.h>

#include <cmath>
#include <optional>

namespace lstmkit_variant {

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

// d = act'(x) given y = act(x), with autograd's conventions: from y for tanh (1 - y²) and sigmoid
// (y (1 - y)), without another exp; from x otherwise, 0 or 1 at the kinks as autograd has them.
// d may alias x or y.
template <typename T>
void act_grad(int64_t k, const T* x, const T* y, T* d, int64_t n) {
  switch (k) {
    case 0: LOOP d[q] = T(1) - y[q] * y[q]; break;
    case 1: LOOP d[q] = y[q] * (T(1) - y[q]); break;
    case 2: LOOP { T v = x[q] / T(6) + T(0.5); d[q] = (v >= T(0) && v <= T(1)) ? T(1) / T(6) : T(0); } break;
    case 3: LOOP d[q] = (x[q] > T(-1) && x[q] < T(1)) ? T(1) : T(0); break;
    case 4: LOOP d[q] = x[q] > T(0) ? T(1) : T(0); break;
    case 5: LOOP { T e = T(1) + std::abs(x[q]); d[q] = T(1) / (e * e); } break;
    case 6: LOOP d[q] = x[q] > T(0) ? T(1) : std::exp(x[q]); break;
    case 7: LOOP {
        T cdf = T(0.5) * (T(1) + std::erf(x[q] * T(M_SQRT1_2)));
        d[q] = cdf + x[q] * std::exp(T(-0.5) * x[q] * x[q]) * T(0.3989422804014327);
      } break;
    case 8: LOOP { T s = sigm(x[q]); d[q] = s * (T(1) + x[q] * (T(1) - s)); } break;
    default: LOOP d[q] = T(1);
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
    if (P.cn && P.act > 1) {  // φ' needs its input LN_c(c)
      const T* cnj = P.cn + R * H;
#pragma omp simd
      for (int64_t k = 0; k < H; ++k) tmp[k] = cnj[k] * P.ln_c_w[k] + P.ln_c_b[k];
      act_grad(P.act, tmp, ph, tmp, H);
    } else {
      act_grad(P.act, P.cell + R * H, ph, tmp, H);
    }
#pragma omp simd
    for (int64_t k = 0; k < H; ++k) {
      dl[k] = drj[k] * gt[3 * H + k] * tmp[k];
      da[3 * H + k] = drj[k] * ph[k];
    }
    act_grad(P.ract, a + 3 * H, gt + 3 * H, tmp, H);
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
      act_grad(P.ract, a + H, gt + H, tmp, H);
#pragma omp simd
      for (int64_t k = 0; k < H; ++k) da[H + k] *= tmp[k];
    }
    act_grad(P.ract, a, gt, tmp, H);
#pragma omp simd
    for (int64_t k = 0; k < H; ++k) da[k] *= tmp[k];
    act_grad(P.act, a + 2 * H, gt + 2 * H, tmp, H);
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

}  // namespace lstmkit_variant
