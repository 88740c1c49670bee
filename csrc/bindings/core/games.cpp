// Bindings of the best-response and learning-dynamics kernels (accord._core.games).
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common.hpp"
#include "accord/games.hpp"

namespace py = pybind11;
using accord::bindings::carray;
using accord::bindings::In;
using accord::bindings::InFloat;
using accord::bindings::take;
namespace games = accord::games;

namespace {

// The layout of a batch of games (G, n, k_1, ..., k_n).
games::Layout layout_of(const py::array& payoffs, std::int64_t& G) {
  if (payoffs.ndim() < 3 || payoffs.shape(1) != payoffs.ndim() - 2)
    throw std::invalid_argument("payoffs must have shape (games, n, k_1, ..., k_n)");
  G = payoffs.shape(0);
  std::vector<std::int64_t> k(payoffs.shape() + 2, payoffs.shape() + payoffs.ndim());
  return games::Layout(static_cast<int>(k.size()), k.data());
}

void check_rows(const py::array& a, std::int64_t G, std::int64_t cols, const char* name) {
  if (a.ndim() != 2 || a.shape(0) != G || a.shape(1) != cols)
    throw std::invalid_argument(std::string(name) + " must have shape (" + std::to_string(G) +
                                ", " + std::to_string(cols) + ")");
}

void check_every(std::int64_t iterations, std::int64_t every) {
  if (iterations < 0 || every < 1) throw std::invalid_argument("bad iterations/record_every");
}

template <class T>
py::tuple best_response(const py::handle& payoffs_, const py::handle& profile_, double tol,
                        bool with_u) {
  const auto payoffs = take<T>(payoffs_, "payoffs");
  const auto profile = take<T>(profile_, "profile");
  std::int64_t G;
  const auto L = layout_of(payoffs, G);
  check_rows(profile, G, L.sumk, "profile");
  const std::int64_t n = L.n;
  py::array_t<std::int64_t> actions({G, n});
  py::array_t<T> best({G, n}), cur({G, n});
  py::array_t<T> u = with_u ? py::array_t<T>({G, L.sumk}) : py::array_t<T>(0);
  std::int64_t* a = actions.mutable_data();
  T *b = best.mutable_data(), *c = cur.mutable_data(), *up = with_u ? u.mutable_data() : nullptr;
  {
    py::gil_scoped_release nogil;
    games::best_response(payoffs.data(), profile.data(), G, L, tol, a, b, c, up);
  }
  return py::make_tuple(actions, best, cur, u);
}

py::array_t<double> history_array(std::int64_t G, std::int64_t iterations, std::int64_t every) {
  return py::array_t<double>({G, iterations / every});
}

}  // namespace

void init_games(py::module_& m) {
  m.def(
      "best_response",
      [](InFloat payoffs, InFloat profile, double tol, bool with_u) {
        return accord::bindings::is_float32(payoffs, "payoffs")
                   ? best_response<float>(payoffs.obj, profile.obj, tol, with_u)
                   : best_response<double>(payoffs.obj, profile.obj, tol, with_u);
      },
      py::arg("payoffs"), py::arg("profile"), py::arg("tol"), py::arg("with_u") = false,
      "(actions int64 (G, n), best (G, n), current (G, n), u (G, sum k) or empty) of a batch\n"
      "of games (G, n, k_1, ..., k_n); profile (G, sum k) has the payoffs' dtype.");

  m.def(
      "fictitious_play",
      [](In<double> payoffs_, std::int64_t iterations, int mode, In<std::int64_t> initial_,
         std::int64_t every) {
        const auto payoffs = take(payoffs_, "payoffs");
        const auto initial = take(initial_, "initial");
        std::int64_t G;
        const auto L = layout_of(payoffs, G);
        check_rows(initial, G, L.n, "initial");
        check_every(iterations, every);
        py::array_t<double> prof({G, L.sumk});
        auto hist = history_array(G, iterations, every);
        double *p = prof.mutable_data(), *h = hist.mutable_data();
        {
          py::gil_scoped_release nogil;
          games::fictitious_play(payoffs.data(), G, L, iterations, games::FPMode(mode),
                                 initial.data(), every, p, h);
        }
        return py::make_tuple(prof, hist);
      },
      py::arg("payoffs"), py::arg("iterations"), py::arg("mode"), py::arg("initial"),
      py::arg("record_every"), "(profile (G, sum k), NashConv history (G, records)).");

  m.def(
      "best_response_iteration",
      [](In<double> payoffs_, In<double> start_, std::int64_t iterations, double damping,
         double tol, std::int64_t every) {
        const auto payoffs = take(payoffs_, "payoffs");
        const auto start = take(start_, "start");
        std::int64_t G;
        const auto L = layout_of(payoffs, G);
        check_rows(start, G, L.sumk, "start");
        check_every(iterations, every);
        py::array_t<double> prof({G, L.sumk});
        auto hist = history_array(G, iterations, every);
        py::array_t<std::int64_t> conv(G);
        double *p = prof.mutable_data(), *h = hist.mutable_data();
        std::int64_t* c = conv.mutable_data();
        {
          py::gil_scoped_release nogil;
          games::best_response_iteration(payoffs.data(), G, L, start.data(), iterations, damping,
                                         tol, every, p, h, c);
        }
        return py::make_tuple(prof, hist, conv);
      },
      py::arg("payoffs"), py::arg("start"), py::arg("iterations"), py::arg("damping"),
      py::arg("tol"), py::arg("record_every"),
      "(profile (G, sum k), NashConv history (G, records), converged_at int64 (G,)).");

  m.def(
      "regret_matching",
      [](In<double> payoffs_, std::int64_t iterations, int variant, double inertia,
         std::uint64_t seed, std::int64_t every) {
        const auto payoffs = take(payoffs_, "payoffs");
        std::int64_t G;
        const auto L = layout_of(payoffs, G);
        check_every(iterations, every);
        if (iterations < 1) throw std::invalid_argument("iterations must be >= 1");
        py::array_t<double> prof({G, L.sumk}), joint({G, L.K});
        auto hist = history_array(G, iterations, every);
        double *p = prof.mutable_data(), *j = joint.mutable_data(), *h = hist.mutable_data();
        {
          py::gil_scoped_release nogil;
          games::regret_matching(payoffs.data(), G, L, iterations, games::RMVariant(variant),
                                 inertia, seed, every, p, j, h);
        }
        return py::make_tuple(prof, joint, hist);
      },
      py::arg("payoffs"), py::arg("iterations"), py::arg("variant"), py::arg("inertia"),
      py::arg("seed"), py::arg("record_every"),
      "(profile (G, sum k), joint (G, K), NashConv history (G, records)).");

  m.def(
      "replicator",
      [](In<double> payoffs_, In<double> start_, std::int64_t iterations, double step,
         std::int64_t every) {
        const auto payoffs = take(payoffs_, "payoffs");
        const auto start = take(start_, "start");
        std::int64_t G;
        const auto L = layout_of(payoffs, G);
        check_rows(start, G, L.sumk, "start");
        check_every(iterations, every);
        py::array_t<double> prof({G, L.sumk});
        auto hist = history_array(G, iterations, every);
        double *p = prof.mutable_data(), *h = hist.mutable_data();
        {
          py::gil_scoped_release nogil;
          games::replicator(payoffs.data(), G, L, start.data(), iterations, step, every, p, h);
        }
        return py::make_tuple(prof, hist);
      },
      py::arg("payoffs"), py::arg("start"), py::arg("iterations"), py::arg("step"),
      py::arg("record_every"), "(profile (G, sum k), NashConv history (G, records)).");

  m.def(
      "logit_fictitious_play",
      [](In<double> payoffs_, std::int64_t iterations, double temperature, bool sampled,
         std::uint64_t seed, std::int64_t every) {
        const auto payoffs = take(payoffs_, "payoffs");
        std::int64_t G;
        const auto L = layout_of(payoffs, G);
        check_every(iterations, every);
        if (!(temperature > 0)) throw std::invalid_argument("temperature must be > 0");
        py::array_t<double> prof({G, L.sumk});
        auto hist = history_array(G, iterations, every);
        double *p = prof.mutable_data(), *h = hist.mutable_data();
        {
          py::gil_scoped_release nogil;
          games::logit_fictitious_play(payoffs.data(), G, L, iterations, temperature, sampled, seed,
                                       every, p, h);
        }
        return py::make_tuple(prof, hist);
      },
      py::arg("payoffs"), py::arg("iterations"), py::arg("temperature"), py::arg("sampled"),
      py::arg("seed"), py::arg("record_every"),
      "(profile (G, sum k), NashConv history (G, records)).");
}
