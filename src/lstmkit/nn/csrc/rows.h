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

// y = x B for one fixed B (k, m), many x (n, k): the per-step matmul of the time loops. For float32
// products of at least kOneDnnMacs multiply-adds it runs as oneDNN's inner product with B packed
// once per loop (mkldnn::_reorder_linear_weight, mkldnn::_linear_pointwise: the GEMM behind
// torch's own CPU LSTM, up to twice as fast as at::mm where MKL takes a generic path, e.g. on
// AMD); smaller ones, other dtypes, or any with LSTMKIT_GEMM=mm, run as at::mm (oneDNN's per-call
// cost outweighs its speed there).
constexpr int64_t kOneDnnMacs = int64_t(1) << 21;

class RowGemm {
 public:
  RowGemm(const Tensor& b, int64_t batch) : b_(b), m_(b.size(1)) {
    const bool big = batch * b.size(0) * b.size(1) >= kOneDnnMacs;
    if (big && b.scalar_type() == at::kFloat && at::hasMKLDNN() && !force_mm()) {
      static auto reorder = c10::Dispatcher::singleton()
                                .findSchemaOrThrow("mkldnn::_reorder_linear_weight", "")
                                .typed<Tensor(const Tensor&, std::optional<int64_t>)>();
      packed_ = reorder.call(b.t().contiguous(), batch);  // (m, k) as a linear layer's weight
    }
  }

  // A fresh (n, m) product.
  Tensor operator()(const Tensor& x) const {
    if (!packed_.defined()) return at::mm(x, b_);
    static auto linear =
        c10::Dispatcher::singleton()
            .findSchemaOrThrow("mkldnn::_linear_pointwise", "")
            .typed<Tensor(const Tensor&, const Tensor&, const std::optional<Tensor>&, c10::string_view,
                          c10::List<std::optional<c10::Scalar>>, std::optional<c10::string_view>)>();
    return linear.call(x, packed_, std::nullopt, "none", c10::List<std::optional<c10::Scalar>>(), std::nullopt);
  }

  // The product written into y's (n, m) rows.
  template <typename T>
  void into(T* y, const Tensor& x) const {
    Tensor out = rows_of(y, x.size(0), m_, x);
    if (!packed_.defined()) {
      at::mm_out(out, x, b_);
    } else {
      out.copy_((*this)(x));
    }
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
  int64_t m_;
};

}  // namespace lstmkit_rows
