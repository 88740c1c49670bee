// accord._cuda: the CUDA backend of the cooperative-game kernels.
//
// Dense tables are passed as integer device pointers (CuPy: `arr.data.ptr`) with the
// number of players n; `stream` is a CUDA stream handle as an int (CuPy:
// `cupy.cuda.get_current_stream().ptr`; 0 is the legacy default stream).  Small
// inputs are NumPy arrays on the host and small outputs come back as NumPy arrays.
// Results equal those of accord._core.coop functions of the same name.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "bayes_kernels.cuh"
#include "coop_kernels.cuh"
#include "games_kernels.cuh"

#ifndef ACCORD_CUDA_VERSION
#define ACCORD_CUDA_VERSION "unknown"
#endif
#ifndef ACCORD_CUDA_ARCHS
#define ACCORD_CUDA_ARCHS "unknown"
#endif

namespace py = pybind11;
namespace gpu = accord::gpu;

namespace {

template <class T>
using carray = py::array_t<T, py::array::c_style | py::array::forcecast>;

void check_length(const py::array& a, py::ssize_t n, const char* name) {
  if (a.ndim() != 1 || a.shape(0) != n)
    throw std::invalid_argument(std::string(name) + " must be 1-dimensional of length " +
                                std::to_string(n));
}

void check_players(int n) {
  if (n < 0 || n > gpu::kMaxDensePlayers)
    throw std::invalid_argument("n must be in [0, " + std::to_string(gpu::kMaxDensePlayers) +
                                "]");
}

int players_of_weights(const py::array& w) {
  if (w.ndim() != 1) throw std::invalid_argument("w must be 1-dimensional");
  if (w.shape(0) > (py::ssize_t{1} << 30)) throw std::invalid_argument("w is too long");
  return static_cast<int>(w.shape(0));
}

cudaStream_t as_stream(std::uintptr_t s) { return reinterpret_cast<cudaStream_t>(s); }
const double* as_table(std::uintptr_t p) { return reinterpret_cast<const double*>(p); }

py::array_t<double> vector_array(py::ssize_t n) { return py::array_t<double>(n); }
py::array_t<double> square_array(py::ssize_t n) {
  return py::array_t<double>(std::vector<py::ssize_t>{n, n});
}

}  // namespace

PYBIND11_MODULE(_cuda, m) {
  m.doc() = "accord CUDA kernels (cooperative games on device tables, normal-form games, "
            "Bayesian beliefs)";

  m.def("device_count", &gpu::device_count,
        "Number of CUDA devices (0 when there is no driver or device; never raises).");

  m.def(
      "devices",
      [] {
        std::vector<gpu::DeviceInfo> infos;
        {
          py::gil_scoped_release release;
          infos = gpu::devices();
        }
        py::list out;
        for (const auto& d : infos) {
          py::dict e;
          e["index"] = d.index;
          e["name"] = d.name;
          e["compute_capability"] = std::to_string(d.major) + "." + std::to_string(d.minor);
          e["total_memory"] = d.total_memory;
          e["memory_bus_width"] = d.memory_bus_width > 0 ? py::object(py::int_(d.memory_bus_width))
                                                         : py::object(py::none());
          e["memory_clock_khz"] = d.memory_clock_khz > 0 ? py::object(py::int_(d.memory_clock_khz))
                                                         : py::object(py::none());
          e["peak_bandwidth_bytes_per_s"] = d.peak_bandwidth > 0
                                                ? py::object(py::float_(d.peak_bandwidth))
                                                : py::object(py::none());
          out.append(e);
        }
        return out;
      },
      "Properties of every CUDA device (memory bandwidth: 2 * clock * bus width / 8).");

  m.def("build_info", [] {
    py::dict d;
    d["cuda_version"] = ACCORD_CUDA_VERSION;
    d["architectures"] = ACCORD_CUDA_ARCHS;
    d["runtime_version"] = gpu::runtime_version();
    d["driver_version"] = gpu::driver_version();
    return d;
  });

  m.def(
      "semivalue_sums",
      [](std::uintptr_t v_ptr, int n, carray<double> c, carray<double> b, std::uintptr_t stream) {
        check_players(n);
        check_length(c, n + 1, "c");
        check_length(b, n + 1, "b");
        py::array_t<double> A(n);
        double T = 0.0;
        double* a = A.mutable_data();
        {
          py::gil_scoped_release release;
          gpu::semivalue_sums(as_table(v_ptr), n, c.data(), b.data(), a, &T, as_stream(stream));
        }
        return py::make_tuple(A, T);
      },
      py::arg("v_ptr"), py::arg("n"), py::arg("c"), py::arg("b"), py::arg("stream") = 0,
      "A[i] = sum_{S∋i} c[|S|] v[S] and T = sum_S b[|S|] v[S] for a float64 device table v "
      "of length 2**n.");

  m.def(
      "max_excess",
      [](std::uintptr_t v_ptr, int n, carray<double> x, std::uintptr_t stream) {
        check_players(n);
        check_length(x, n, "x");
        accord::coop::Excess e{};
        {
          py::gil_scoped_release release;
          e = gpu::max_excess(as_table(v_ptr), n, x.data(), as_stream(stream));
        }
        return py::make_tuple(e.value, e.mask);
      },
      py::arg("v_ptr"), py::arg("n"), py::arg("x"), py::arg("stream") = 0,
      "(max over non-empty S of v[S] - x(S), lowest mask attaining it).");

  m.def(
      "permutations",
      [](int n, std::uint64_t seed, std::int64_t first, std::int64_t count,
         std::uintptr_t stream) {
        if (n < 1) throw std::invalid_argument("n must be >= 1");
        if (first < 0 || count < 0) throw std::invalid_argument("first and count must be >= 0");
        py::array_t<std::int32_t> out(
            std::vector<py::ssize_t>{static_cast<py::ssize_t>(count), static_cast<py::ssize_t>(n)});
        std::int32_t* p = out.mutable_data();
        {
          py::gil_scoped_release release;
          gpu::permutations(n, seed, first, count, p, as_stream(stream));
        }
        return out;
      },
      py::arg("n"), py::arg("seed"), py::arg("first"), py::arg("count"), py::arg("stream") = 0);

  m.def(
      "permutation_sample_dense",
      [](std::uintptr_t v_ptr, int n, std::uint64_t seed, std::int64_t first, std::int64_t count,
         bool antithetic, carray<double> shift, std::uintptr_t stream) {
        check_players(n);
        check_length(shift, n, "shift");
        auto s = vector_array(n), q = vector_array(n);
        double* sp = s.mutable_data();
        double* qp = q.mutable_data();
        {
          py::gil_scoped_release release;
          gpu::permutation_sample_dense(as_table(v_ptr), n, seed, first, count, antithetic,
                                        shift.data(), sp, qp, as_stream(stream));
        }
        return py::make_tuple(s, q);
      },
      py::arg("v_ptr"), py::arg("n"), py::arg("seed"), py::arg("first"), py::arg("count"),
      py::arg("antithetic"), py::arg("shift"), py::arg("stream") = 0);

  m.def(
      "permutation_sample_voting",
      [](carray<double> w, double quota, std::uint64_t seed, std::int64_t first,
         std::int64_t count, bool antithetic, std::uintptr_t stream) {
        const int n = players_of_weights(w);
        auto s = vector_array(n), q = vector_array(n);
        double* sp = s.mutable_data();
        double* qp = q.mutable_data();
        {
          py::gil_scoped_release release;
          gpu::permutation_sample_voting(w.data(), n, quota, seed, first, count, antithetic, sp,
                                         qp, as_stream(stream));
        }
        return py::make_tuple(s, q);
      },
      py::arg("w"), py::arg("quota"), py::arg("seed"), py::arg("first"), py::arg("count"),
      py::arg("antithetic"), py::arg("stream") = 0);

  m.def(
      "stratified_sample_dense",
      [](std::uintptr_t v_ptr, int n, std::uint64_t seed, std::int64_t per_stratum,
         std::int64_t first, std::int64_t count, carray<double> shift, std::uintptr_t stream) {
        check_players(n);
        check_length(shift, n, "shift");
        auto s = square_array(n), q = square_array(n);
        double* sp = s.mutable_data();
        double* qp = q.mutable_data();
        {
          py::gil_scoped_release release;
          gpu::stratified_sample_dense(as_table(v_ptr), n, seed, per_stratum, first, count,
                                       shift.data(), sp, qp, as_stream(stream));
        }
        return py::make_tuple(s, q);
      },
      py::arg("v_ptr"), py::arg("n"), py::arg("seed"), py::arg("per_stratum"), py::arg("first"),
      py::arg("count"), py::arg("shift"), py::arg("stream") = 0);

  m.def(
      "stratified_sample_voting",
      [](carray<double> w, double quota, std::uint64_t seed, std::int64_t per_stratum,
         std::int64_t first, std::int64_t count, std::uintptr_t stream) {
        const int n = players_of_weights(w);
        auto s = square_array(n), q = square_array(n);
        double* sp = s.mutable_data();
        double* qp = q.mutable_data();
        {
          py::gil_scoped_release release;
          gpu::stratified_sample_voting(w.data(), n, quota, seed, per_stratum, first, count, sp,
                                        qp, as_stream(stream));
        }
        return py::make_tuple(s, q);
      },
      py::arg("w"), py::arg("quota"), py::arg("seed"), py::arg("per_stratum"), py::arg("first"),
      py::arg("count"), py::arg("stream") = 0);

  // ---- normal-form games (pointers are device addresses, e.g. cupy_array.data.ptr) --
  m.def(
      "best_response",
      [](std::uintptr_t payoffs, std::uintptr_t profile, std::int64_t games,
         std::vector<std::int64_t> k, int itemsize, double tol, std::uintptr_t actions,
         std::uintptr_t best, std::uintptr_t current, std::uintptr_t u, std::uintptr_t stream) {
        if (games < 0) throw std::invalid_argument("games must be >= 0");
        py::gil_scoped_release nogil;
        gpu::best_response(reinterpret_cast<const void*>(payoffs),
                           reinterpret_cast<const void*>(profile), games, k, itemsize, tol,
                           reinterpret_cast<std::int64_t*>(actions),
                           reinterpret_cast<void*>(best), reinterpret_cast<void*>(current),
                           reinterpret_cast<void*>(u), as_stream(stream));
      },
      py::arg("payoffs"), py::arg("profile"), py::arg("games"), py::arg("k"),
      py::arg("itemsize"), py::arg("tol"), py::arg("actions"), py::arg("best"),
      py::arg("current"), py::arg("u"), py::arg("stream") = 0);

  m.def(
      "fictitious_play",
      [](std::uintptr_t payoffs, std::int64_t games, std::int64_t rows, std::int64_t cols,
         std::int64_t iterations, int mode, std::uintptr_t initial, std::int64_t every,
         std::uintptr_t profile, std::uintptr_t history, std::uintptr_t stream) {
        if (games < 0) throw std::invalid_argument("games must be >= 0");
        py::gil_scoped_release nogil;
        gpu::fictitious_play(as_table(payoffs), games, rows, cols, iterations, mode,
                             reinterpret_cast<const std::int64_t*>(initial), every,
                             reinterpret_cast<double*>(profile),
                             reinterpret_cast<double*>(history), as_stream(stream));
      },
      py::arg("payoffs"), py::arg("games"), py::arg("m"), py::arg("n"), py::arg("iterations"),
      py::arg("mode"), py::arg("initial"), py::arg("record_every"), py::arg("profile"),
      py::arg("history"), py::arg("stream") = 0);

  // ---- Bayesian beliefs (accord.bayes; pointers are device addresses, uint8 status) --
  m.def(
      "bayes_sample_types",
      [](std::uintptr_t lp, std::int64_t batch, int m, int K, std::int64_t samples,
         std::uint64_t seed, std::uintptr_t out, std::uintptr_t stream) {
        py::gil_scoped_release nogil;
        gpu::bayes_sample_types(as_table(lp), batch, m, K, samples, seed,
                                reinterpret_cast<std::int32_t*>(out), as_stream(stream));
      },
      py::arg("log_marginals"), py::arg("batch"), py::arg("m"), py::arg("K"),
      py::arg("samples"), py::arg("seed"), py::arg("out"), py::arg("stream") = 0);

  m.def(
      "bayes_update_enumerated",
      [](std::uintptr_t lp, std::uintptr_t ll, std::int64_t batch, int m, int K,
         std::uintptr_t post, std::uintptr_t joint, std::uintptr_t status, std::uintptr_t stream) {
        py::gil_scoped_release nogil;
        gpu::bayes_update_enumerated(as_table(lp), as_table(ll), batch, m, K,
                                     reinterpret_cast<double*>(post),
                                     reinterpret_cast<double*>(joint),
                                     reinterpret_cast<unsigned char*>(status), as_stream(stream));
      },
      py::arg("log_prior"), py::arg("log_likelihood"), py::arg("batch"), py::arg("m"),
      py::arg("K"), py::arg("log_post"), py::arg("log_joint"), py::arg("status"),
      py::arg("stream") = 0);

  m.def(
      "bayes_update_sampled",
      [](std::uintptr_t lp, std::uintptr_t ll, std::int64_t batch, int m, int K,
         std::int64_t samples, std::uintptr_t post, std::uintptr_t status, std::uintptr_t stream) {
        py::gil_scoped_release nogil;
        gpu::bayes_update_sampled(as_table(lp), as_table(ll), batch, m, K, samples,
                                  reinterpret_cast<double*>(post),
                                  reinterpret_cast<unsigned char*>(status), as_stream(stream));
      },
      py::arg("log_prior"), py::arg("log_likelihood"), py::arg("batch"), py::arg("m"),
      py::arg("K"), py::arg("samples"), py::arg("log_post"), py::arg("status"),
      py::arg("stream") = 0);

  m.def(
      "bayes_expected_values",
      [](std::uintptr_t lp, std::uintptr_t values, std::int64_t batch, int m, int K,
         std::int64_t actions, std::int64_t joint, std::uintptr_t out, std::uintptr_t stream) {
        py::gil_scoped_release nogil;
        gpu::bayes_expected_values(as_table(lp), as_table(values), batch, m, K, actions, joint,
                                   reinterpret_cast<double*>(out), as_stream(stream));
      },
      py::arg("log_marginals"), py::arg("values"), py::arg("batch"), py::arg("m"), py::arg("K"),
      py::arg("actions"), py::arg("joint"), py::arg("out"), py::arg("stream") = 0,
      "log_marginals = 0: mean over the joint (= samples) axis.");

  m.def(
      "bayes_vpi",
      [](std::uintptr_t lp, std::uintptr_t values, std::int64_t batch, int m, int K,
         std::int64_t actions, std::int64_t joint, std::uintptr_t share, std::uintptr_t best,
         std::uintptr_t second, std::uintptr_t is_best, std::uintptr_t out,
         std::uintptr_t stream) {
        py::gil_scoped_release nogil;
        gpu::bayes_vpi(as_table(lp), as_table(values), batch, m, K, actions, joint,
                       as_table(share), as_table(best), as_table(second),
                       reinterpret_cast<const unsigned char*>(is_best),
                       reinterpret_cast<double*>(out), as_stream(stream));
      },
      py::arg("log_marginals"), py::arg("values"), py::arg("batch"), py::arg("m"), py::arg("K"),
      py::arg("actions"), py::arg("joint"), py::arg("share"), py::arg("best"),
      py::arg("second"), py::arg("is_best"), py::arg("out"), py::arg("stream") = 0,
      "log_marginals = 0: sampled type vectors, weights 1 / joint.");

  m.def(
      "bayes_filter_step",
      [](std::uintptr_t belief, std::uintptr_t transition, std::int64_t transition_stride,
         std::uintptr_t obs, std::int64_t batch, std::int64_t states, std::uintptr_t out,
         std::uintptr_t status, std::uintptr_t stream) {
        py::gil_scoped_release nogil;
        gpu::bayes_filter_step(as_table(belief), as_table(transition), transition_stride,
                               as_table(obs), batch, states, reinterpret_cast<double*>(out),
                               reinterpret_cast<unsigned char*>(status), as_stream(stream));
      },
      py::arg("belief"), py::arg("transition"), py::arg("transition_stride"),
      py::arg("observation_likelihood"), py::arg("batch"), py::arg("states"), py::arg("out"),
      py::arg("status"), py::arg("stream") = 0);
}
