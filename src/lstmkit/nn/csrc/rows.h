// The packed time-major layout, for the compiled loops: rows of step t are off[t] .. off[t] + bs[t]
// (see lstmkit/nn/schedule.py). Raw-pointer helpers, so that a step needs no tensor ops.
#pragma once

#include <ATen/ATen.h>

#include <cstring>
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

}  // namespace lstmkit_rows
