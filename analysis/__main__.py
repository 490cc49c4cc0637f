import contextlib
import gc
import os
import signal
import sys

from analysis.errors import is_interrupt, report_interrupt

_signalled: list[int] = []


def _terminate(signum, frame):
    """The first Ctrl-C or SIGTERM unwinds like Ctrl-C (staging folders are removed, the old report stays); a second
    one ends the process at once, with the same line and status (the next build removes what is left)."""
    if _signalled:
        report_interrupt()
        os._exit(130)
    _signalled.append(signum)
    raise KeyboardInterrupt


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush of an unwritable stdout says nothing."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


signal.signal(signal.SIGTERM, _terminate)
signal.signal(signal.SIGINT, _terminate)
# Start-up (the imports, and the data's validation in a forked child that inherits this) makes objects but hardly any
# garbage, and the collector's full passes over them took about 0.2 s of it: no collection until the command has its
# modules and data (cli.main then freezes what start-up made and collects from there on).
gc.disable()
try:
    from analysis.pipeline.cli import main
    status = main()
    sys.stdout.flush()
except (KeyboardInterrupt, RuntimeError) as exc:      # during start-up (its imports), before main() handles it
    if not is_interrupt(exc):
        raise
    report_interrupt()
    status = 130
except BrokenPipeError:         # output piped into a command that stopped reading (`| head`): not an error to report
    _quiet_stdout()
    status = 1
except OSError as exc:          # stdout on a full disk or /dev/full
    print(f"error: cannot write the output ({exc.strerror})", file=sys.stderr)
    _quiet_stdout()
    status = 1
if status == 130:
    # Interrupted, and unwound (the staging folder removed, the workers stopped): end now with status 130. CPython
    # 3.11 remembers a KeyboardInterrupt raised inside code it ran from a string (a dataclass's generated methods, while
    # a module was being imported, say), even one that was caught, and would end the process by SIGINT after
    # sys.exit (status -2 instead of 130).
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):
            stream.flush()
    os._exit(130)
# The work is done and written: the interpreter's last garbage collections at exit, over the ~190,000 objects a
# build leaves (pandas, altair's schema classes, the models), would take about 0.4 s; frozen objects are not collected
# (atexit handlers and open files are finalized as before).
gc.freeze()
sys.exit(status)
