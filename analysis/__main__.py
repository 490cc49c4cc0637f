import os
import signal
import sys


def _terminate(signum, frame):
    raise KeyboardInterrupt     # unwind like Ctrl-C: staging folders are removed, the old report stays


signal.signal(signal.SIGTERM, _terminate)
try:
    from analysis.cli import main
    status = main()
    sys.stdout.flush()
except KeyboardInterrupt:       # during start-up, before main() handles it
    print("error: interrupted; any previous report is left as it was", file=sys.stderr)
    status = 130
except BrokenPipeError:         # output piped into a command that stopped reading (`| head`): not an error to report
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    status = 1
sys.exit(status)
