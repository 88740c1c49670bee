// Ctrl-C in long kernel calls (accord/interrupt.hpp): the hook briefly takes the GIL
// and runs Python's signal handlers (PyErr_CheckSignals); the exception a handler
// raises (KeyboardInterrupt for SIGINT) is kept and re-raised when the kernel has
// unwound, by the translator of accord::Interrupted.  Included by each module once.
#pragma once
#include <pybind11/pybind11.h>

#include "accord/interrupt.hpp"

namespace accord::bindings {

namespace py = pybind11;

struct PendingError {
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
};

// The exception raised by a signal handler during this thread's kernel call.
inline thread_local PendingError pending_error;

inline bool check_python_signals() {
  const PyGILState_STATE gil = PyGILState_Ensure();
  const bool raised = PyErr_CheckSignals() != 0;
  if (raised) {
    PendingError& p = pending_error;
    Py_XDECREF(p.type);
    Py_XDECREF(p.value);
    Py_XDECREF(p.traceback);
    PyErr_Fetch(&p.type, &p.value, &p.traceback);
  }
  PyGILState_Release(gil);
  return raised;
}

inline void install_interrupt_hook() {
  accord::set_interrupt_hook(&check_python_signals);
  py::register_local_exception_translator([](std::exception_ptr e) {
    try {
      if (e) std::rethrow_exception(e);
    } catch (const accord::Interrupted&) {
      PendingError& p = pending_error;
      if (p.type != nullptr) {
        PyErr_Restore(p.type, p.value, p.traceback);
        p = PendingError{};
      } else {
        PyErr_SetNone(PyExc_KeyboardInterrupt);
      }
    }
  });
}

}  // namespace accord::bindings
