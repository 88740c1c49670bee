// Bindings of the CUDA Bayesian belief kernels (accord._cuda, used by accord.bayes):
// every array is a device pointer laid out as in accord/bayes.hpp (float64, uint8 status).
#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>

#include "accord/gpu/bayes.hpp"
#include "device_args.hpp"

namespace py = pybind11;
namespace gpu = accord::gpu;
using accord::bindings::as_device;
using accord::bindings::as_stream;
using accord::bindings::as_table;

void init_cuda_bayes(py::module_& m) {
  m.def(
      "bayes_sample_types",
      [](std::uintptr_t lp, std::int64_t batch, int m, int K, std::int64_t samples,
         std::uint64_t seed, std::uintptr_t out, std::uintptr_t stream) {
        py::gil_scoped_release nogil;
        gpu::bayes_sample_types(as_table(lp), batch, m, K, samples, seed,
                                as_device<std::int32_t>(out), as_stream(stream));
      },
      py::arg("log_marginals"), py::arg("batch"), py::arg("m"), py::arg("K"), py::arg("samples"),
      py::arg("seed"), py::arg("out"), py::arg("stream") = 0);

  m.def(
      "bayes_update_enumerated",
      [](std::uintptr_t lp, std::uintptr_t ll, std::int64_t batch, int m, int K,
         std::uintptr_t post, std::uintptr_t joint, std::uintptr_t status, std::uintptr_t stream) {
        py::gil_scoped_release nogil;
        gpu::bayes_update_enumerated(as_table(lp), as_table(ll), batch, m, K,
                                     as_device<double>(post), as_device<double>(joint),
                                     as_device<unsigned char>(status), as_stream(stream));
      },
      py::arg("log_prior"), py::arg("log_likelihood"), py::arg("batch"), py::arg("m"), py::arg("K"),
      py::arg("log_post"), py::arg("log_joint"), py::arg("status"), py::arg("stream") = 0);

  m.def(
      "bayes_update_sampled",
      [](std::uintptr_t lp, std::uintptr_t ll, std::int64_t batch, int m, int K,
         std::int64_t samples, std::uintptr_t post, std::uintptr_t status, std::uintptr_t stream) {
        py::gil_scoped_release nogil;
        gpu::bayes_update_sampled(as_table(lp), as_table(ll), batch, m, K, samples,
                                  as_device<double>(post), as_device<unsigned char>(status),
                                  as_stream(stream));
      },
      py::arg("log_prior"), py::arg("log_likelihood"), py::arg("batch"), py::arg("m"), py::arg("K"),
      py::arg("samples"), py::arg("log_post"), py::arg("status"), py::arg("stream") = 0);

  m.def(
      "bayes_expected_values",
      [](std::uintptr_t lp, std::uintptr_t values, std::int64_t batch, int m, int K,
         std::int64_t actions, std::int64_t joint, std::uintptr_t out, std::uintptr_t stream) {
        py::gil_scoped_release nogil;
        gpu::bayes_expected_values(as_table(lp), as_table(values), batch, m, K, actions, joint,
                                   as_device<double>(out), as_stream(stream));
      },
      py::arg("log_marginals"), py::arg("values"), py::arg("batch"), py::arg("m"), py::arg("K"),
      py::arg("actions"), py::arg("joint"), py::arg("out"), py::arg("stream") = 0,
      "log_marginals = 0: mean over the joint (= samples) axis.");

  m.def(
      "bayes_vpi",
      [](std::uintptr_t lp, std::uintptr_t values, std::int64_t batch, int m, int K,
         std::int64_t actions, std::int64_t joint, std::uintptr_t share, std::uintptr_t best,
         std::uintptr_t second, std::uintptr_t is_best, std::uintptr_t out, std::uintptr_t stream) {
        py::gil_scoped_release nogil;
        gpu::bayes_vpi(as_table(lp), as_table(values), batch, m, K, actions, joint, as_table(share),
                       as_table(best), as_table(second), as_device<const unsigned char>(is_best),
                       as_device<double>(out), as_stream(stream));
      },
      py::arg("log_marginals"), py::arg("values"), py::arg("batch"), py::arg("m"), py::arg("K"),
      py::arg("actions"), py::arg("joint"), py::arg("share"), py::arg("best"), py::arg("second"),
      py::arg("is_best"), py::arg("out"), py::arg("stream") = 0,
      "log_marginals = 0: sampled type vectors, weights 1 / joint.");

  m.def(
      "bayes_filter_step",
      [](std::uintptr_t belief, std::uintptr_t transition, std::int64_t transition_stride,
         std::uintptr_t obs, std::int64_t batch, std::int64_t states, std::uintptr_t out,
         std::uintptr_t status, std::uintptr_t stream) {
        py::gil_scoped_release nogil;
        gpu::bayes_filter_step(as_table(belief), as_table(transition), transition_stride,
                               as_table(obs), batch, states, as_device<double>(out),
                               as_device<unsigned char>(status), as_stream(stream));
      },
      py::arg("belief"), py::arg("transition"), py::arg("transition_stride"),
      py::arg("observation_likelihood"), py::arg("batch"), py::arg("states"), py::arg("out"),
      py::arg("status"), py::arg("stream") = 0);

  m.def(
      "bayes_subset_sums",
      [](std::uintptr_t probs, std::int64_t views, int n, int K, std::uintptr_t points,
         int max_points, int L, std::uintptr_t values, std::int64_t A, std::uintptr_t out,
         std::uintptr_t stream) {
        py::gil_scoped_release nogil;
        gpu::bayes_subset_sums(as_table(probs), views, n, K,
                               as_device<const std::int64_t>(points), max_points, L,
                               as_table(values), A, as_device<double>(out), as_stream(stream));
      },
      py::arg("probs"), py::arg("views"), py::arg("n"), py::arg("K"), py::arg("points"),
      py::arg("max_points"), py::arg("L"), py::arg("values"), py::arg("A"), py::arg("out"),
      py::arg("stream") = 0, "values = 0: the distributions themselves.");
}
