// accord._core: the CPU backend.
#include <pybind11/pybind11.h>

#include "../interrupt.hpp"

namespace py = pybind11;

void init_runtime(py::module_& m);
void init_coop(py::module_& m);
void init_games(py::module_& m);
void init_bimatrix(py::module_& m);
void init_correlated(py::module_& m);
void init_bayes(py::module_& m);
void init_loadbalance(py::module_& m);
void init_marl(py::module_& m);
void init_coalition(py::module_& m);

PYBIND11_MODULE(_core, m) {
  m.doc() = "accord CPU kernels (C++17, OpenMP)";
  accord::bindings::install_interrupt_hook();
  init_runtime(m);
  py::module_ coop = m.def_submodule("coop", "cooperative-game kernels");
  init_coop(coop);
  py::module_ games = m.def_submodule("games", "normal-form game kernels");
  init_games(games);
  init_bimatrix(games);
  init_correlated(games);
  py::module_ bayes = m.def_submodule("bayes", "Bayesian belief kernels");
  init_bayes(bayes);
  py::module_ lb = m.def_submodule("loadbalance", "load-balancing simulation kernels");
  init_loadbalance(lb);
  py::module_ marl = m.def_submodule("marl", "tabular multi-agent learning updates");
  init_marl(marl);
  py::module_ coalition = m.def_submodule("coalition", "repeated coalition formation kernels");
  init_coalition(coalition);
}
