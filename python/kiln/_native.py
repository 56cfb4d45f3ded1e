"""Finding kiln's native libraries: libkiln_compiler.so (the compiler, C API
of compiler/kiln_compiler.h) and libkiln_runtime.a beside it (what model
libraries are linked with).

Looked for, in order: $KILN_LIB_DIR; the copy `pip install` put in the
package (kiln/_lib); the build tree of the repository the package sits in
(build/lib, or $KILN_BUILD_DIR/lib).
"""
import ctypes
import os
import threading

_HERE = os.path.dirname(os.path.abspath(__file__))
_COMPILER = "libkiln_compiler.so"


def library_dirs():
    dirs = []
    if os.environ.get("KILN_LIB_DIR"):
        dirs.append(os.environ["KILN_LIB_DIR"])
    dirs.append(os.path.join(_HERE, "_lib"))
    repo = os.path.dirname(os.path.dirname(_HERE))
    build = os.environ.get("KILN_BUILD_DIR") or os.path.join(repo, "build")
    dirs.append(os.path.join(build, "lib"))
    return dirs


def find_library(name):
    for d in library_dirs():
        # Absolute: the compiler finds the runtime archive beside the path
        # it was loaded from.
        path = os.path.abspath(os.path.join(d, name))
        if os.path.exists(path):
            return path
    raise OSError(
        f"kiln: cannot find {name} (looked in {', '.join(library_dirs())}); "
        "build kiln (scripts/build.sh) or set KILN_LIB_DIR")


_lock = threading.Lock()
_compiler = None


def compiler():
    """The compiler library, loaded once, its functions typed."""
    global _compiler
    with _lock:
        if _compiler is None:
            _compiler = _load_compiler(find_library(_COMPILER))
        return _compiler


def declare(lib, functions):
    """Gives each (name, restype, argtypes) of `functions` its C types."""
    for name, restype, argtypes in functions:
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


def _load_compiler(path):
    lib = ctypes.CDLL(path, mode=ctypes.RTLD_LOCAL)
    p, s, c = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p
    return declare(lib, [
        ("kiln_compile_options_create", p, []),
        ("kiln_compile_options_free", None, [p]),
        ("kiln_compile_options_set", c, [p, c, c]),
        ("kiln_compile_options_set_contents", None, [p, c, s]),
        ("kiln_compile", p, [p]),
        ("kiln_compile_result_succeeded", ctypes.c_int, [p]),
        ("kiln_compile_result_num_diagnostics", s, [p]),
        ("kiln_compile_result_diagnostic", c, [p, s, c]),
        ("kiln_compile_result_report", c, [p]),
        ("kiln_compile_result_free", None, [p]),
        ("kiln_tokenizer_load", p, [c]),
        ("kiln_tokenizer_error", c, [p]),
        ("kiln_tokenizer_encode", s, [p, c, s, ctypes.c_int,
                                      ctypes.POINTER(ctypes.c_int), s]),
        ("kiln_tokenizer_add_special_tokens", s, [
            p, ctypes.POINTER(ctypes.c_int), s, ctypes.POINTER(ctypes.c_int),
            s]),
        ("kiln_tokenizer_decode", s, [p, ctypes.POINTER(ctypes.c_int), s,
                                      ctypes.c_int, p, s]),
        ("kiln_tokenizer_find", ctypes.c_int, [p, c]),
        ("kiln_tokenizer_free", None, [p]),
        # Returns a malloc'ed error (or NULL): a void pointer, to free it.
        ("kiln_chat_render", p, [c, p, c, c, ctypes.c_int,
                                 ctypes.POINTER(p),
                                 ctypes.POINTER(ctypes.c_int), s,
                                 ctypes.POINTER(s)]),
        ("kiln_string_free", None, [p]),
    ])
