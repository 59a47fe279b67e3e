"""R inside the test process: embedded by rpy2, evaluated with Python's GIL held.

rpy2 starts R in this process. R code is then evaluated through libR itself,
called by ``ctypes.PyDLL``, which keeps the GIL held during the call, and not
through rpy2's own evaluator, which releases it: Debian's reticulate (1.28)
drops its references to Python objects from R finalizers without taking the
GIL, so the first R garbage collection that frees one inside an rpy2 call
aborts the process ("PyThreadState_Get: the function must be called with the
GIL held"). For the same reason R is never ended (rpy2's exit handler would
run those finalizers too); its temporary folder is removed instead.

The s3tools R package reaches its Python core through reticulate, which
attaches to this very interpreter: R and Python share the s3tools module, as
they do in an R session, and the environment (R's ``Sys.getenv`` reads the
process environment that ``os.environ`` writes).
"""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import subprocess

_SEXP = ctypes.c_void_p
_SIGNATURES = {
    "Rf_mkString": (_SEXP, [ctypes.c_char_p]),
    "Rf_protect": (_SEXP, [_SEXP]),
    "Rf_unprotect": (None, [ctypes.c_int]),
    "R_ParseVector": (_SEXP, [_SEXP, ctypes.c_int, ctypes.POINTER(ctypes.c_int), _SEXP]),
    "R_tryEvalSilent": (_SEXP, [_SEXP, _SEXP, ctypes.POINTER(ctypes.c_int)]),
    "Rf_length": (ctypes.c_int, [_SEXP]),
    "VECTOR_ELT": (_SEXP, [_SEXP, ctypes.c_long]),
    "Rf_asChar": (_SEXP, [_SEXP]),
    "R_CHAR": (ctypes.c_char_p, [_SEXP]),
}


class EmbeddedR:
    """The R of this process; :meth:`evaluate` runs R code and returns its value as text."""

    def __init__(self) -> None:
        import rpy2.rinterface
        from rpy2.rinterface_lib import embedded

        home = subprocess.run(["R", "RHOME"], capture_output=True, text=True,
                              check=True).stdout.strip()
        library_path = os.environ.get("LD_LIBRARY_PATH")
        rpy2.rinterface.initr_simple()
        atexit.unregister(embedded.endr)
        # rpy2 puts R's library folders on LD_LIBRARY_PATH for R's start: left there, a
        # Python started by a later test would load the wrong libpython (ENVIRONMENT.md).
        if library_path is None:
            os.environ.pop("LD_LIBRARY_PATH", None)
        else:
            os.environ["LD_LIBRARY_PATH"] = library_path
        self._lib = ctypes.PyDLL(os.path.join(home, "lib", "libR.so"))
        for name, (result, arguments) in _SIGNATURES.items():
            function = getattr(self._lib, name)
            function.restype, function.argtypes = result, arguments
        self._global = _SEXP.in_dll(self._lib, "R_GlobalEnv")
        self._nil = _SEXP.in_dll(self._lib, "R_NilValue")
        temporary = self.evaluate("tempdir()")
        atexit.register(shutil.rmtree, temporary, True)

    def evaluate(self, code: str) -> str:
        """Evaluate ``code`` in R's global environment; its last value as one string.

        Raises:
            RuntimeError: with R's error message.
        """
        lib = self._lib
        text = lib.Rf_protect(lib.Rf_mkString(code.encode("utf-8")))
        status = ctypes.c_int(0)
        parsed = lib.Rf_protect(lib.R_ParseVector(text, -1, ctypes.byref(status), self._nil))
        protected = 2
        try:
            if status.value != 1:  # PARSE_OK
                raise SyntaxError(f"R could not parse: {code}")
            value = self._nil
            for index in range(lib.Rf_length(parsed)):
                failed = ctypes.c_int(0)
                value = lib.R_tryEvalSilent(lib.VECTOR_ELT(parsed, index), self._global,
                                            ctypes.byref(failed))
                if failed.value:
                    raise RuntimeError(self.evaluate("geterrmessage()").strip())
            lib.Rf_protect(value)
            protected += 1
            return lib.R_CHAR(lib.Rf_asChar(value)).decode("utf-8")
        finally:
            lib.Rf_unprotect(protected)


def r_string(text: str) -> str:
    """``text`` as an R string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
