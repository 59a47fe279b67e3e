"""The ``s3tools`` command: the aws CLI's verbs for S3, with s3tools' errors and exit codes.

Each verb lives in a module of its own and registers itself in :data:`VERBS`
(``ls``; ``cp``; ``cat``, ``head`` and ``exists`` in ``objects``; ``config``
in ``settings``; ``serve``; ``browse``, the file explorer). This module
builds the parser, runs the verb, and turns every error into one line in the
command line's words and an exit code per kind of error.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys

from .. import errors
from ..display import visible
from . import browse, cp, ls, objects, serve, settings
from .common import UsageError

VERBS = (ls, cp, objects, settings, serve, browse)

# One exit code per kind of error; 1 is any other failure, 2 bad usage.
EXIT_CODES = (
    (errors.NotFoundError, 3, "not found (bucket, object or local file)"),
    (errors.AccessDeniedError, 4, "access denied"),
    (errors.AlreadyExistsError, 5, "already exists (pass --overwrite to replace it)"),
    (errors.FormatError, 6, "unsupported or unreadable file format"),
    (errors.S3ConnectionError, 7, "could not connect to the endpoint"),
    (errors.ConfigError, 8, "configuration (endpoint, region, credentials)"),
)
FAILURE, USAGE = 1, 2

# The functions' advice, said the command line's way.
_CLI_WORDS = (
    ("Pass overwrite=TRUE (R) / overwrite=True (Python)", "Pass --overwrite"),
    ("list_files_in_buckets()", "s3tools ls"),
    ("accessible_buckets()", "s3tools ls"),
    ("call refresh_credentials() (no restart needed)", "run the command again"),
    ("; for other layouts pass reader options or use read_using()", ""),
    (", or use read_using() with a function of your own", ""),
    (", or use write_using() with a function of your own", ""),
    ("set file_type=", "pass --type"),
    ("Set file_type=", "Pass --type"),
)


def in_cli_words(message: str) -> str:
    """One line, with the functions' argument names replaced by the command's options, and
    the control and bidi characters of the names in it escaped."""
    for function_words, command_words in _CLI_WORDS:
        message = message.replace(function_words, command_words)
    return visible(re.sub(r"\s+", " ", message).strip())


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see {self.prog} --help)")


def _epilog() -> str:
    lines = ["exit codes:", "  0  success", f"  {FAILURE}  any other failure",
             f"  {USAGE}  bad usage (unknown verb or option, missing argument, malformed path)"]
    lines += [f"  {code}  {meaning}" for _, code, meaning in EXIT_CODES]
    lines += ["", "S3 paths: s3://bucket/key (cp needs the s3:// to tell them from local paths;",
              "the other verbs also take bucket/key). Settings: the usual AWS variables and",
              "~/.aws/config (see s3tools config); S3TOOLS_PROGRESS=false hides progress bars."]
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    main = _Parser(prog="s3tools", formatter_class=argparse.RawDescriptionHelpFormatter,
                   description="List, copy, preview and serve data in S3 (AWS or the endpoint "
                               "in AWS_ENDPOINT_URL).", epilog=_epilog())
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bars and no summary lines")
    common.add_argument("-v", "--verbose", action="store_true",
                        help="log every S3 request to standard error")
    verbs = main.add_subparsers(dest="verb", required=True, metavar="VERB", parser_class=_Parser)
    for verb in VERBS:
        verb.register(verbs, common)
    return main


def exit_code(error: BaseException) -> int:
    if isinstance(error, (errors.PathError, errors.ArgumentError, UsageError)):
        return USAGE
    for kind, code, _ in EXIT_CODES:
        if isinstance(error, kind):
            return code
    if isinstance(error, FileNotFoundError):
        return 3
    if isinstance(error, PermissionError):
        return 4
    if isinstance(error, FileExistsError):
        return 5
    return FAILURE


def _describe(error: BaseException) -> str:
    if isinstance(error, errors.S3ToolsError) or not isinstance(error, OSError):
        return str(error)
    # A local file's error: its reason and its name, without errno's numbers.
    return f"{error.strerror or error}: {error.filename}" if error.filename else str(error)


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code (see ``s3tools --help``)."""
    verbose = False
    try:
        arguments = parser().parse_args(argv)
        verbose = arguments.verbose
        if verbose:
            logging.basicConfig(format="%(name)s: %(message)s")
            logging.getLogger("s3tools").setLevel(logging.DEBUG)
        return arguments.run(arguments) or 0
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    except KeyboardInterrupt:
        print("s3tools: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (s3tools cat ... | head): nothing more to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILURE
    except (errors.S3ToolsError, UsageError, OSError, ValueError) as error:
        print(f"s3tools: {in_cli_words(_describe(error))}", file=sys.stderr)
        return exit_code(error)
    except Exception as error:
        if verbose:
            raise  # a fault of s3tools itself: the traceback helps whoever reports it
        print(f"s3tools: unexpected {type(error).__name__}: {in_cli_words(str(error))} "
              "(run again with --verbose for the details)", file=sys.stderr)
        return FAILURE


if __name__ == "__main__":
    sys.exit(main())
