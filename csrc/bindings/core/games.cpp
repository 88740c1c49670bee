// Bindings of the best-response and learning-dynamics kernels (accord._core.games).
#include <string>
#include <vector>

#include "accord/games.hpp"
#include "common.hpp"

namespace py = pybind11;
using accord::bindings::carray;
namespace games = accord::games;

namespace {

// The layout of a batch of games (G, n, k_1, ..., k_n).
template <class T>
games::Layout layout_of(const carray<T>& payoffs, std::int64_t& G) {
  if (payoffs.ndim() < 3 || payoffs.shape(1) != payoffs.ndim() - 2)
    throw std::invalid_argument("payoffs must have shape (games, n, k_1, ..., k_n)");
  G = payoffs.shape(0);
  std::vector<std::int64_t> k(payoffs.shape() + 2, payoffs.shape() + payoffs.ndim());
  return games::Layout(static_cast<int>(k.size()), k.data());
}

template <class T>
void check_rows(const py::array& a, std::int64_t G, std::int64_t cols, const char* name) {
  if (a.ndim() != 2 || a.shape(0) != G || a.shape(1) != cols)
    throw std::invalid_argument(std::string(name) + " must have shape (" + std::to_string(G) +
                                ", " + std::to_string(cols) + ")");
}

void check_every(std::int64_t iterations, std::int64_t every) {
  if (iterations < 0 || every < 1) throw std::invalid_argument("bad iterations/record_every");
}

template <class T>
py::tuple best_response(carray<T> payoffs, carray<T> profile, double tol, bool with_u) {
  std::int64_t G;
  const auto L = layout_of(payoffs, G);
  check_rows<T>(profile, G, L.sumk, "profile");
  py::array_t<std::int64_t> actions({G, static_cast<std::int64_t>(L.n)});
  py::array_t<T> best({G, static_cast<std::int64_t>(L.n)}), cur({G, static_cast<std::int64_t>(L.n)});
  py::array_t<T> u = with_u ? py::array_t<T>({G, L.sumk}) : py::array_t<T>(0);
  {
    py::gil_scoped_release nogil;
    games::best_response(payoffs.data(), profile.data(), G, L, tol, actions.mutable_data(),
                         best.mutable_data(), cur.mutable_data(),
                         with_u ? u.mutable_data() : nullptr);
  }
  return py::make_tuple(actions, best, cur, u);
}

py::array_t<double> history_array(std::int64_t G, std::int64_t iterations, std::int64_t every) {
  return py::array_t<double>({G, iterations / every});
}

}  // namespace

void init_games(py::module_& m) {
  m.def("best_response", &best_response<double>, py::arg("payoffs"), py::arg("profile"),
        py::arg("tol"), py::arg("with_u") = false);
  m.def("best_response", &best_response<float>, py::arg("payoffs"), py::arg("profile"),
        py::arg("tol"), py::arg("with_u") = false);

  m.def(
      "fictitious_play",
      [](carray<double> payoffs, std::int64_t iterations, int mode, carray<std::int64_t> initial,
         std::int64_t every) {
        std::int64_t G;
        const auto L = layout_of(payoffs, G);
        check_rows<std::int64_t>(initial, G, L.n, "initial");
        check_every(iterations, every);
        const auto* init = initial.data();
        for (std::int64_t g = 0; g < G; ++g)
          for (int i = 0; i < L.n; ++i)
            if (init[g * L.n + i] < 0 || init[g * L.n + i] >= L.k[i])
              throw std::invalid_argument("initial action out of range");
        py::array_t<double> prof({G, L.sumk});
        auto hist = history_array(G, iterations, every);
        {
          py::gil_scoped_release nogil;
          games::fictitious_play(payoffs.data(), G, L, iterations, games::FPMode(mode), init,
                                 every, prof.mutable_data(), hist.mutable_data());
        }
        return py::make_tuple(prof, hist);
      },
      py::arg("payoffs"), py::arg("iterations"), py::arg("mode"), py::arg("initial"),
      py::arg("record_every"));

  m.def(
      "best_response_iteration",
      [](carray<double> payoffs, carray<double> start, std::int64_t iterations, double damping,
         double tol, std::int64_t every) {
        std::int64_t G;
        const auto L = layout_of(payoffs, G);
        check_rows<double>(start, G, L.sumk, "start");
        check_every(iterations, every);
        py::array_t<double> prof({G, L.sumk});
        auto hist = history_array(G, iterations, every);
        py::array_t<std::int64_t> conv(G);
        {
          py::gil_scoped_release nogil;
          games::best_response_iteration(payoffs.data(), G, L, start.data(), iterations,
                                          damping, tol, every, prof.mutable_data(),
                                          hist.mutable_data(), conv.mutable_data());
        }
        return py::make_tuple(prof, hist, conv);
      },
      py::arg("payoffs"), py::arg("start"), py::arg("iterations"), py::arg("damping"),
      py::arg("tol"), py::arg("record_every"));

  m.def(
      "regret_matching",
      [](carray<double> payoffs, std::int64_t iterations, int variant, double inertia,
         std::uint64_t seed, std::int64_t every) {
        std::int64_t G;
        const auto L = layout_of(payoffs, G);
        check_every(iterations, every);
        if (iterations < 1) throw std::invalid_argument("iterations must be >= 1");
        py::array_t<double> prof({G, L.sumk}), joint({G, L.K});
        auto hist = history_array(G, iterations, every);
        {
          py::gil_scoped_release nogil;
          games::regret_matching(payoffs.data(), G, L, iterations, games::RMVariant(variant),
                                 inertia, seed, every, prof.mutable_data(),
                                 joint.mutable_data(), hist.mutable_data());
        }
        return py::make_tuple(prof, joint, hist);
      },
      py::arg("payoffs"), py::arg("iterations"), py::arg("variant"), py::arg("inertia"),
      py::arg("seed"), py::arg("record_every"));

  m.def(
      "replicator",
      [](carray<double> payoffs, carray<double> start, std::int64_t iterations, double step,
         std::int64_t every) {
        std::int64_t G;
        const auto L = layout_of(payoffs, G);
        check_rows<double>(start, G, L.sumk, "start");
        check_every(iterations, every);
        py::array_t<double> prof({G, L.sumk});
        auto hist = history_array(G, iterations, every);
        {
          py::gil_scoped_release nogil;
          games::replicator(payoffs.data(), G, L, start.data(), iterations, step, every,
                            prof.mutable_data(), hist.mutable_data());
        }
        return py::make_tuple(prof, hist);
      },
      py::arg("payoffs"), py::arg("start"), py::arg("iterations"), py::arg("step"),
      py::arg("record_every"));

  m.def(
      "logit_fictitious_play",
      [](carray<double> payoffs, std::int64_t iterations, double temperature, bool sampled,
         std::uint64_t seed, std::int64_t every) {
        std::int64_t G;
        const auto L = layout_of(payoffs, G);
        check_every(iterations, every);
        if (!(temperature > 0)) throw std::invalid_argument("temperature must be > 0");
        py::array_t<double> prof({G, L.sumk});
        auto hist = history_array(G, iterations, every);
        {
          py::gil_scoped_release nogil;
          games::logit_fictitious_play(payoffs.data(), G, L, iterations, temperature, sampled,
                                       seed, every, prof.mutable_data(), hist.mutable_data());
        }
        return py::make_tuple(prof, hist);
      },
      py::arg("payoffs"), py::arg("iterations"), py::arg("temperature"), py::arg("sampled"),
      py::arg("seed"), py::arg("record_every"));
}
