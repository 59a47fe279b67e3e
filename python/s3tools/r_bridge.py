"""The boundary the R package calls: one entry point, errors as records, data as buffers.

R calls :func:`call` with a function name, its arguments and the R session's
current ``AWS_*`` / ``S3TOOLS_*`` / proxy variables. The answer is a small
record, never an exception: ``{"ok": True, "value": ...}`` or ``{"ok": False,
"kind": ..., "r_class": ..., "message": ...}``, which R turns into a value or a
classed condition.

Data (frames, strings, raw bytes) is encoded by :mod:`s3tools.r_codec`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from . import (access, chunks, errors, paths, r_codec, r_options, r_types, read, redaction,
               session, tempfiles, transport, write)
from .ddf import PYTHON_ONLY
from .explorer import R_HELPERS as EXPLORER_HELPERS

# Variables R passes at every call: Sys.setenv() in R after Python started is
# not seen by os.environ, so R sends its current values and this module
# applies them. R reads the pattern from here, so both sides agree.
ENVIRONMENT_PATTERN = r"^(AWS_|S3TOOLS_)|^(HTTPS?|NO|ALL)_PROXY$"
_ENVIRONMENT_RE = re.compile(ENVIRONMENT_PATTERN, re.IGNORECASE)


# ---------------------------------------------------------------- entry point

def call(name: str, arguments: Mapping[str, Any] | list, options: Mapping[str, Any] | list,
         environment: Mapping[str, str] | list | None = None) -> dict[str, Any]:
    """Run one s3tools function for R and describe the outcome as a record.

    Args:
        name: a public s3tools function, or a helper of this module.
        arguments: its named arguments; a value marked as a frame is rebuilt
            with :func:`s3tools.r_codec.frame_from_r`.
        options: R's ``...``, translated by :func:`s3tools.r_options.translate`.
        environment: the R session's variables matching ``ENVIRONMENT_PATTERN``,
            or ``None`` when they have not changed since the last call.
    """
    r_codec.release()  # what an earlier call handed R (R has copied it)
    try:
        sync_environment(environment)
        function = _FUNCTIONS.get(name)
        if function is None:
            raise ValueError(f"Unknown s3tools function {name!r}.")
        keywords = {key: _argument_from_r(value) for key, value in _as_dict(arguments).items()}
        translated = r_options.translate(_as_dict(options), writing=name.startswith("write"),
                                         path=keywords.get("s3_path"), function=name)
        clash = sorted(set(keywords) & set(translated.options))
        if clash:
            raise TypeError(f"{name}() got the argument(s) {', '.join(clash)} twice.")
        with r_types.for_r():  # reads keep what R's types hold (see s3tools.r_types)
            value = translated.run(function, keywords)
        return {"ok": True, "value": r_codec.value_to_r(value)}
    except errors.S3ToolsError as error:
        return _failure(error.kind, error.r_class, error.message)
    except (ValueError, TypeError) as error:
        return _failure("error", "s3tools_error", redaction.redact(str(error)))
    except Exception as error:  # noqa: BLE001 - R gets a condition, never a traceback
        return _failure("error", "s3tools_error",
                        redaction.redact(f"{type(error).__name__}: {error}"))


def _failure(kind: str, r_class: str, message: str) -> dict[str, Any]:
    return {"ok": False, "kind": kind, "r_class": r_class, "message": message}


def _as_dict(value: Mapping[str, Any] | list | None) -> dict[str, Any]:
    # An empty R list arrives as a Python list.
    if value is None or isinstance(value, list):
        return {}
    return dict(value)


def sync_environment(values: Mapping[str, str] | list | None) -> None:
    """Make ``os.environ`` match R's variables for every name the pattern covers."""
    if values is None:
        return
    wanted = _as_dict(values)
    for name in [name for name in os.environ if _ENVIRONMENT_RE.search(name)]:
        if name not in wanted:
            del os.environ[name]
    for name, value in wanted.items():
        if os.environ.get(name) != value:
            os.environ[name] = str(value)


def translate_options(options: Mapping[str, Any], writing: bool = False) -> dict[str, Any]:
    """R's ``...`` names and values, as the pandas reader or writer expects them (see
    :func:`s3tools.r_options.translate`)."""
    return r_options.translate(options, writing=writing).options


def _argument_from_r(value: Any) -> Any:
    if isinstance(value, Mapping) and value.get(".s3tools") == "frame":
        return r_codec.frame_from_r(value["columns"], value.get("nrow"))
    return value


# ---------------------------------------------------------- helpers for R

def temporary_upload_path(s3_path: str, overwrite: bool = False) -> str:
    """A private temporary file named like the key, after refusing an existing key.

    R's ``write_using`` writes the object into it, uploads it and deletes it.
    """
    path = paths.parse_file(s3_path)
    write.refuse_existing(path, overwrite)
    return tempfiles.new_private_file(path.suffix)


def accessible_bucket_names() -> dict[str, Any]:
    """``accessible_buckets()`` with where the names came from, which R keeps as the
    vector's ``source`` attribute."""
    found = access.find_buckets()
    return {"names": list(found), "source": found.source}


def upload_temporary(local_path: str, s3_path: str, overwrite: bool = False) -> str:
    """Upload what R's ``write_using`` wrote into :func:`temporary_upload_path`.

    The key was checked there, before R's function ran; the upload itself is
    conditional unless ``overwrite``, as Python's ``write_using`` is.
    """
    path = paths.parse_file(s3_path)
    with open(local_path, "rb") as source:
        transport.upload_file(source, path, overwrite, multipart=True)
    return str(path)


def _public_functions() -> dict[str, Callable[..., Any]]:
    import s3tools

    found = {name: getattr(s3tools, name) for name in s3tools.__all__}
    table = {name: function for name, function in found.items()
             if callable(function) and not isinstance(function, type)}
    # R's read_using: the same private copy as Python's, which R deletes after use.
    table.update(temporary_copy=read.temporary_copy, temporary_upload_path=temporary_upload_path,
                 upload_temporary=upload_temporary, accessible_bucket_names=accessible_bucket_names,
                 check_credential_arguments=session.check_credential_arguments,
                 **chunks.R_HELPERS)
    table.update(EXPLORER_HELPERS)  # R's file_explorer_s3() starts, watches and stops it
    return table


def public_signatures() -> dict[str, list[list[Any]]]:
    """Every public function's arguments and defaults, for the R package's own check."""
    import inspect

    result = {}
    for name, function in _public_functions().items():
        if name.startswith(("temporary_", "upload_", "chunks_")) or name in (
                "configure", "accessible_bucket_names", "check_credential_arguments",
                *PYTHON_ONLY):
            continue
        if name in EXPLORER_HELPERS:
            continue
        # A keyword-only argument is one R takes after its `...`: both must be named.
        parameters = sorted(inspect.signature(function).parameters.values(),
                            key=lambda p: p.kind == p.KEYWORD_ONLY)
        result[name] = [[p.name, None if p.default is p.empty else p.default,
                         p.default is p.empty, p.kind == p.VAR_KEYWORD] for p in parameters]
    return result



_FUNCTIONS = _public_functions()

release = r_codec.release  # R calls it once its value is built

__all__ = ["ENVIRONMENT_PATTERN", "accessible_bucket_names", "call", "public_signatures",
           "release", "sync_environment", "temporary_upload_path", "translate_options",
           "upload_temporary"]
