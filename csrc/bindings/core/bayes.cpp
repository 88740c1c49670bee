// Bindings of the Bayesian belief kernels (accord._core.bayes).  Shapes are checked
// here again (python/accord/bayes validates values and gives the friendly messages);
// every kernel runs without the GIL.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <pybind11/stl.h>

#include "../common.hpp"
#include "accord/bayes.hpp"

namespace py = pybind11;
using accord::bindings::expect_shape;
using accord::bindings::In;
using accord::bindings::take;
namespace bayes = accord::bayes;

namespace {

using ssize = py::ssize_t;

struct Dims {
  std::int64_t B;
  int m, K;
  std::int64_t T;  // K^m
};

Dims dims_of(const py::array& lp, const char* name) {
  if (lp.ndim() != 3) throw std::invalid_argument(std::string(name) + " must have shape (B, m, K)");
  if (lp.shape(1) > (ssize{1} << 20) || lp.shape(2) > (ssize{1} << 30))
    throw std::invalid_argument(std::string(name) + ": m or K is too large");
  Dims d{lp.shape(0), static_cast<int>(lp.shape(1)), static_cast<int>(lp.shape(2)), 1};
  return d;
}

std::int64_t joint_of(const Dims& d) {
  std::int64_t T = 1;
  for (int j = 0; j < d.m; ++j) {
    T *= d.K;
    if (T > bayes::kMaxJoint)
      throw std::invalid_argument("K**m exceeds the enumeration limit 2**24; use sampled mode");
  }
  return T;
}

py::array_t<unsigned char> status_array(std::int64_t B) {
  return py::array_t<unsigned char>(static_cast<ssize>(B));
}

}  // namespace

void init_bayes(py::module_& m) {
  m.attr("MAX_JOINT") = bayes::kMaxJoint;

  m.def(
      "sample_types",
      [](In<double> log_marginals, std::int64_t samples, std::uint64_t seed) {
        const auto lp = take(log_marginals, "log_marginals");
        const Dims d = dims_of(lp, "log_marginals");
        if (samples < 0 || samples > 0xffffffffLL || d.B > 0xffffffffLL)
          throw std::invalid_argument("B and samples must be below 2**32");
        py::array_t<std::int32_t> out(std::vector<ssize>{d.B, samples, d.m});
        std::int32_t* o = out.mutable_data();
        {
          py::gil_scoped_release release;
          bayes::sample_types(lp.data(), d.B, d.m, d.K, samples, seed, o);
        }
        return out;
      },
      py::arg("log_marginals"), py::arg("samples"), py::arg("seed"),
      "int32 (B, S, m): Philox draws of every member's type from its log-marginal.");

  m.def(
      "check_log_marginals",
      [](In<double> log_marginals, double tol) {
        const auto lp = take(log_marginals, "log_marginals");
        const Dims d = dims_of(lp, "log_marginals");
        bayes::MarginalCheck c{};
        {
          py::gil_scoped_release release;
          c = bayes::check_log_marginals(lp.data(), d.B, d.m, d.K, tol);
        }
        return py::make_tuple(c.code, c.row, c.member, c.type, c.value);
      },
      py::arg("log_marginals"), py::arg("tol"),
      "(code, row, member, type, value) of the first problem of log-marginals (B, m, K):\n"
      "1 NaN or +inf entry, 2 no possible type, 3 not normalised (value: logsumexp), 0 none.");

  m.def(
      "check_probability_rows",
      [](In<double> p_, double tol) {
        const auto p = take(p_, "p");
        const std::int64_t cols = p.ndim() ? p.shape(p.ndim() - 1) : 1;
        const std::int64_t rows = cols ? static_cast<std::int64_t>(p.size()) / cols : 0;
        bayes::ProbabilityCheck c{};
        {
          py::gil_scoped_release release;
          c = bayes::check_probability_rows(p.data(), rows, cols, tol);
        }
        return py::make_tuple(c.code, c.row, c.col, c.value);
      },
      py::arg("p"), py::arg("tol"),
      "(code, row, col, value) of the first problem of probabilities (..., cols), rows\n"
      "flattened: 1 non-finite, 2 negative, 3 row sum off 1 by more than tol (tol < 0: not\n"
      "checked), 0 none.");

  m.def(
      "first_invalid_sample",
      [](In<double> log_marginals, In<std::int32_t> samples_) {
        const auto lp = take(log_marginals, "log_marginals");
        const auto samples = take(samples_, "samples");
        const Dims d = dims_of(lp, "log_marginals");
        if (samples.ndim() != 3 || samples.shape(0) != d.B || samples.shape(2) != d.m)
          throw std::invalid_argument("samples must have shape (B, S, m)");
        const std::int64_t S = samples.shape(1);
        py::gil_scoped_release release;
        return bayes::first_invalid_sample(lp.data(), samples.data(), d.B, d.m, d.K, S);
      },
      py::arg("log_marginals"), py::arg("samples"),
      "Flat position of the first sample outside [0, K) or of zero probability, or -1.");

  m.def(
      "update_enumerated",
      [](In<double> log_prior, In<double> log_likelihood, bool return_joint) {
        const auto lp = take(log_prior, "log_prior");
        const auto ll = take(log_likelihood, "log_likelihood");
        const Dims d = dims_of(lp, "log_prior");
        const std::int64_t T = joint_of(d);
        expect_shape(ll, {d.B, T}, "log_likelihood");
        py::array_t<double> post(std::vector<ssize>{d.B, d.m, d.K});
        py::object joint = py::none();
        double* jp = nullptr;
        if (return_joint) {
          py::array_t<double> j(std::vector<ssize>{d.B, T});
          jp = j.mutable_data();
          joint = j;
        }
        auto status = status_array(d.B);
        double* pp = post.mutable_data();
        unsigned char* sp = status.mutable_data();
        {
          py::gil_scoped_release release;
          bayes::update_enumerated(lp.data(), ll.data(), d.B, d.m, d.K, pp, jp, sp);
        }
        return py::make_tuple(post, joint, status);
      },
      py::arg("log_prior"), py::arg("log_likelihood"), py::arg("return_joint"),
      "(log_post (B, m, K), log_joint (B, K**m) or None, status uint8 (B,)): Eq. 5 over\n"
      "every joint type vector; status 1 marks rows of zero evidence.");

  m.def(
      "update_sampled",
      [](In<double> log_prior, In<double> log_likelihood) {
        const auto lp = take(log_prior, "log_prior");
        const auto ll = take(log_likelihood, "log_likelihood");
        const Dims d = dims_of(lp, "log_prior");
        if (ll.ndim() != 4)
          throw std::invalid_argument("log_likelihood must have shape (B, S, m, K)");
        const std::int64_t S = ll.shape(1);
        expect_shape(ll, {d.B, S, d.m, d.K}, "log_likelihood");
        py::array_t<double> post(std::vector<ssize>{d.B, d.m, d.K});
        auto status = status_array(d.B);
        double* pp = post.mutable_data();
        unsigned char* sp = status.mutable_data();
        {
          py::gil_scoped_release release;
          bayes::update_sampled(lp.data(), ll.data(), d.B, d.m, d.K, S, pp, sp);
        }
        return py::make_tuple(post, status);
      },
      py::arg("log_prior"), py::arg("log_likelihood"),
      "(log_post (B, m, K), status uint8 (B,)): Rao-Blackwellised Eq. 5 from samples.");

  m.def(
      "expected_values",
      [](In<double> log_marginals, In<double> values_) {
        const auto lp = take(log_marginals, "log_marginals");
        const auto values = take(values_, "values");
        const Dims d = dims_of(lp, "log_marginals");
        const std::int64_t T = joint_of(d);
        if (values.ndim() != 3) throw std::invalid_argument("values must have shape (B, A, T)");
        const std::int64_t A = values.shape(1);
        expect_shape(values, {d.B, A, T}, "values");
        py::array_t<double> out(std::vector<ssize>{d.B, A});
        auto status = status_array(d.B);
        double* o = out.mutable_data();
        unsigned char* sp = status.mutable_data();
        {
          py::gil_scoped_release release;
          bayes::expected_values(lp.data(), values.data(), d.B, d.m, d.K, A, o, sp);
        }
        bayes::check_values_finite(values.data(), sp, d.B, A, T);
        return out;
      },
      py::arg("log_marginals"), py::arg("values"),
      "(B, A): sum_t P_b(t) values[b, a, t] over the K**m joint type vectors (ValueError\n"
      "naming the first non-finite value).");

  m.def(
      "sample_means",
      [](In<double> values_) {
        const auto values = take(values_, "values");
        if (values.ndim() != 3) throw std::invalid_argument("values must have shape (B, A, S)");
        const std::int64_t B = values.shape(0), A = values.shape(1), S = values.shape(2);
        py::array_t<double> out(std::vector<ssize>{B, A});
        auto status = status_array(B);
        double* o = out.mutable_data();
        unsigned char* sp = status.mutable_data();
        {
          py::gil_scoped_release release;
          bayes::sample_means(values.data(), B, A, S, o, sp);
        }
        bayes::check_values_finite(values.data(), sp, B, A, S);
        return out;
      },
      py::arg("values"),
      "(B, A): mean over the last axis of values (B, A, S) (ValueError if not finite).");

  m.def(
      "vpi",
      [](std::optional<In<double>> log_marginals, In<double> values_, In<double> share_,
         In<double> best_, In<double> second_, In<std::uint8_t> is_best_) {
        const auto values = take(values_, "values"), share = take(share_, "share");
        const auto best = take(best_, "best"), second = take(second_, "second");
        const auto is_best = take(is_best_, "is_best");
        if (values.ndim() != 3) throw std::invalid_argument("values must have shape (B, A, T)");
        const std::int64_t B = values.shape(0), A = values.shape(1), N = values.shape(2);
        expect_shape(share, {B, A}, "share");
        expect_shape(best, {B}, "best");
        expect_shape(second, {B}, "second");
        expect_shape(is_best, {B, A}, "is_best");
        py::array_t<double> out(std::vector<ssize>{B, A});
        auto status = status_array(B);
        double* o = out.mutable_data();
        unsigned char* sp = status.mutable_data();
        if (!log_marginals) {
          py::gil_scoped_release release;
          bayes::vpi(nullptr, values.data(), B, 0, 1, A, N, share.data(), best.data(),
                     second.data(), is_best.data(), o, sp);
        } else {
          const auto lp = take(*log_marginals, "log_marginals");
          const Dims d = dims_of(lp, "log_marginals");
          const std::int64_t T = joint_of(d);
          expect_shape(values, {d.B, A, T}, "values");
          py::gil_scoped_release release;
          bayes::vpi(lp.data(), values.data(), B, d.m, d.K, A, T, share.data(), best.data(),
                     second.data(), is_best.data(), o, sp);
        }
        bayes::check_values_finite(values.data(), sp, B, A, N);
        return out;
      },
      py::arg("log_marginals"), py::arg("values"), py::arg("share"), py::arg("best"),
      py::arg("second"), py::arg("is_best"),
      "(B, A): expected value of perfect information (Eqs. 11-13); log_marginals=None\n"
      "averages over sampled type vectors (values (B, A, S)).  ValueError names the first\n"
      "non-finite value.");

  m.def(
      "filter_step",
      [](In<double> belief_, In<double> transition_, In<double> observation_likelihood) {
        const auto belief = take(belief_, "belief"), transition = take(transition_, "transition");
        const auto obs = take(observation_likelihood, "observation_likelihood");
        if (belief.ndim() != 2) throw std::invalid_argument("belief must have shape (B, S)");
        const std::int64_t B = belief.shape(0), S = belief.shape(1);
        std::int64_t stride = 0;
        if (transition.ndim() == 2) {
          expect_shape(transition, {S, S}, "transition");
        } else {
          expect_shape(transition, {B, S, S}, "transition");
          stride = S * S;
        }
        expect_shape(obs, {B, S}, "observation_likelihood");
        py::array_t<double> out(std::vector<ssize>{B, S});
        auto status = status_array(B);
        double* o = out.mutable_data();
        unsigned char* sp = status.mutable_data();
        {
          py::gil_scoped_release release;
          bayes::filter_step(belief.data(), transition.data(), stride, obs.data(), B, S, o, sp);
        }
        return py::make_tuple(out, status);
      },
      py::arg("belief"), py::arg("transition"), py::arg("observation_likelihood"),
      "(belief' (B, S), status uint8 (B,)): predict, correct, normalise; status 1 marks\n"
      "rows of zero evidence.");

  m.def(
      "subset_sums",
      [](In<double> probs_, In<std::int64_t> points_, int L, std::optional<In<double>> values_) {
        const auto probs = take(probs_, "probs");
        const auto points = take(points_, "points");
        if (probs.ndim() != 3) throw std::invalid_argument("probs must have shape (Z, n, K)");
        const std::int64_t Z = probs.shape(0), n = probs.shape(1), K = probs.shape(2);
        if (n > 24) throw std::invalid_argument("probs: at most 24 members (2**n subsets)");
        expect_shape(points, {K}, "points");
        const std::int64_t M = std::int64_t{1} << n;
        std::int64_t P = 0;
        for (std::int64_t k = 0; k < K; ++k) {
          if (points.data()[k] < 0) throw std::invalid_argument("points must be >= 0");
          P = std::max<std::int64_t>(P, points.data()[k]);
        }
        if (L < 1 || n * P >= L) throw std::invalid_argument("L must exceed n * max(points)");
        std::optional<accord::bindings::carray<double>> values;
        std::int64_t A = 0;
        if (values_) {
          values = take(*values_, "values");
          if (values->ndim() != 3) throw std::invalid_argument("values must have shape (2**n, A, L)");
          A = values->shape(1);
          expect_shape(*values, {M, A, L}, "values");
        }
        py::array_t<double> out(values ? std::vector<ssize>{Z, M, A} : std::vector<ssize>{Z, M, L});
        double* o = out.mutable_data();
        {
          py::gil_scoped_release release;
          bayes::subset_sums(probs.data(), Z, static_cast<int>(n), static_cast<int>(K),
                             points.data(), L, values ? values->data() : nullptr, A, o);
        }
        return out;
      },
      py::arg("probs"), py::arg("points"), py::arg("L"), py::arg("values") = py::none(),
      "(Z, 2**n, L) distributions of sum_{j in S} points[t_j] for every subset S, or with\n"
      "values (2**n, A, L) their expectations (Z, 2**n, A).");
}
