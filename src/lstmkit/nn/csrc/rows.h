// The packed time-major layout, for the compiled loops: rows of step t are off[t] .. off[t] + bs[t]
// (see lstmkit/nn/schedule.py). Raw-pointer helpers, so that a step needs no tensor ops.
#pragma once

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/core/dispatch/Dispatcher.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace lstmkit_rows {

using at::Tensor;

// Where step t's previous state starts: the previous step's first n rows, or init; when a reverse
// direction's batch grows, the rows are assembled in buf (previous step's rows, then init's).
template <typename T>
const T* prev_rows(const T* seq, const T* init, T* buf, const std::vector<int64_t>& bs,
                   const std::vector<int64_t>& off, int64_t t, bool reverse, int64_t width) {
  const int64_t n = bs[t], q = reverse ? t + 1 : t - 1, steps_n = static_cast<int64_t>(bs.size());
  if (q < 0 || q >= steps_n) return init;
  const int64_t m = bs[q];
  if (m >= n) return seq + off[q] * width;
  std::memcpy(buf, seq + off[q] * width, sizeof(T) * m * width);
  std::memcpy(buf + m * width, init + m * width, sizeof(T) * (n - m) * width);
  return buf;
}

inline std::vector<int64_t> offsets_of(const std::vector<int64_t>& bs) {
  std::vector<int64_t> off(bs.size(), 0);
  for (size_t t = 1; t < bs.size(); ++t) off[t] = off[t - 1] + bs[t - 1];
  return off;
}

// An (n, w) matrix view of raw rows, for the matmuls.
inline Tensor rows_of(const void* p, int64_t n, int64_t w, const Tensor& like) {
  return at::from_blob(const_cast<void*>(p), {n, w}, like.options());
}

// y (n, m) = x (n, k) B (k, m), all row-major float32, for the small per-step matmuls: register
// blocks of 6 rows x 64 columns (24 vector accumulators of 16 floats; GCC vector extensions, so
// the compiler emits AVX-512 with -march=native, AVX2 pairs otherwise). Every call of at::mm or
// oneDNN costs a few microseconds of dispatch and packing, as much as the whole product at these
// sizes. Column panels of 64 outside, row blocks inside (the panel of B stays in cache); column
// tails in panels of 16, then scalars; row tails by the same code with fewer rows.
typedef float v16f __attribute__((vector_size(64)));

inline v16f load16(const float* p) {
  v16f v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline void store16(float* p, v16f v) { std::memcpy(p, &v, sizeof(v)); }

template <int R, int V>  // R rows, V vectors of 16 columns
inline void gemm_block(const float* x, int64_t k, const float* b, int64_t m, float* y) {
  v16f acc[R][V] = {};
  for (int64_t p = 0; p < k; ++p) {
    v16f bv[V];
    for (int v = 0; v < V; ++v) bv[v] = load16(b + p * m + 16 * v);
    for (int r = 0; r < R; ++r) {
      const float xv = x[r * k + p];
      for (int v = 0; v < V; ++v) acc[r][v] += bv[v] * xv;
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) store16(y + r * m + 16 * v, acc[r][v]);
}

template <int V>  // all rows against one panel of B (k x 16 V): the panel stays in cache
inline void gemm_panel(const float* x, const float* b, float* y, int64_t n, int64_t k, int64_t m) {
  int64_t i = 0;
  for (; i + 6 <= n; i += 6) gemm_block<6, V>(x + i * k, k, b, m, y + i * m);
  switch (n - i) {
    case 5: gemm_block<5, V>(x + i * k, k, b, m, y + i * m); break;
    case 4: gemm_block<4, V>(x + i * k, k, b, m, y + i * m); break;
    case 3: gemm_block<3, V>(x + i * k, k, b, m, y + i * m); break;
    case 2: gemm_block<2, V>(x + i * k, k, b, m, y + i * m); break;
    case 1: gemm_block<1, V>(x + i * k, k, b, m, y + i * m); break;
    default: break;
  }
}

inline void small_gemm(const float* x, const float* b, float* y, int64_t n, int64_t k, int64_t m) {
  int64_t j = 0;
  for (; j + 64 <= m; j += 64) gemm_panel<4>(x, b + j, y + j, n, k, m);
  for (; j + 16 <= m; j += 16) gemm_panel<1>(x, b + j, y + j, n, k, m);
  for (; j < m; ++j) {  // the last m % 16 columns
    for (int64_t r = 0; r < n; ++r) {
      float s = 0.f;
      for (int64_t p = 0; p < k; ++p) s += x[r * k + p] * b[p * m + j];
      y[r * m + j] = s;
    }
  }
}

// y = x B for one fixed B (k, m), many x (n, k): the per-step matmul of the time loops. For float32
// batches of 128 rows or more and at least kOneDnnMacs multiply-adds it runs as oneDNN's inner product with B packed
// once per loop (mkldnn::_reorder_linear_weight, mkldnn::_linear_pointwise: the GEMM behind
// torch's own CPU LSTM, up to twice as fast as at::mm where MKL takes a generic path, e.g. on
// AMD); smaller float32 ones in small_gemm (faster than either there), other dtypes or any with
// LSTMKIT_GEMM=mm as at::mm.
constexpr int64_t kOneDnnMacs = int64_t(1) << 20;

class RowGemm {
 public:
  RowGemm(const Tensor& b, int64_t batch) : b_(b.contiguous()), k_(b.size(0)), m_(b.size(1)) {
    const bool big = batch >= 128 && batch * b.size(0) * b.size(1) >= kOneDnnMacs;
    small_ = !big && b.scalar_type() == at::kFloat && !force_mm();
    if (big && b.scalar_type() == at::kFloat && at::hasMKLDNN() && !force_mm()) {
      static auto reorder = c10::Dispatcher::singleton()
                                .findSchemaOrThrow("mkldnn::_reorder_linear_weight", "")
                                .typed<Tensor(const Tensor&, std::optional<int64_t>)>();
      packed_ = reorder.call(b.t().contiguous(), batch);  // (m, k) as a linear layer's weight
    }
  }

  // A fresh (n, m) product.
  Tensor operator()(const Tensor& x) const {
    if (small_) {
      Tensor y = at::empty({x.size(0), m_}, x.options());
      small_gemm(x.data_ptr<float>(), b_.data_ptr<float>(), y.data_ptr<float>(), x.size(0), x.size(1), m_);
      return y;
    }
    if (!packed_.defined()) return at::mm(x, b_);
    static auto linear =
        c10::Dispatcher::singleton()
            .findSchemaOrThrow("mkldnn::_linear_pointwise", "")
            .typed<Tensor(const Tensor&, const Tensor&, const std::optional<Tensor>&, c10::string_view,
                          c10::List<std::optional<c10::Scalar>>, std::optional<c10::string_view>)>();
    return linear.call(x, packed_, std::nullopt, "none", c10::List<std::optional<c10::Scalar>>(), std::nullopt);
  }

  // The product of x's n rows (n, k) written into y's (n, m) rows; raw rows, no tensors made on
  // the small path.
  template <typename T>
  void into(T* y, const T* x, int64_t n, const Tensor& like) const {
    if (small_) {  // only ever float32
      small_gemm(reinterpret_cast<const float*>(x), b_.data_ptr<float>(), reinterpret_cast<float*>(y), n, k_, m_);
      return;
    }
    Tensor out = rows_of(y, n, m_, like);
    if (!packed_.defined()) {
      at::mm_out(out, rows_of(x, n, k_, like), b_);
    } else {
      out.copy_((*this)(rows_of(x, n, k_, like)));
    }
  }

  // The product of x's n rows: in buf (n, m) on the small path, else in a tensor kept until the
  // next call.
  template <typename T>
  const T* rows(const T* x, int64_t n, T* buf, const Tensor& like) const {
    if (small_ || !packed_.defined()) {
      into<T>(buf, x, n, like);
      return buf;
    }
    last_ = (*this)(rows_of(x, n, k_, like));
    return last_.template data_ptr<T>();
  }

 private:
  static bool force_mm() {
    static const bool mm = [] {
      const char* v = std::getenv("LSTMKIT_GEMM");
      return v != nullptr && std::string(v) == "mm";
    }();
    return mm;
  }
  Tensor b_, packed_;
  mutable Tensor last_;
  int64_t k_, m_;
  bool small_ = false;
};

}  // namespace lstmkit_rows
