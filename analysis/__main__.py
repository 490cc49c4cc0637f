import signal
import sys


def _terminate(signum, frame):
    raise KeyboardInterrupt     # unwind like Ctrl-C: staging folders are removed, the old report stays


signal.signal(signal.SIGTERM, _terminate)
try:
    from analysis.cli import main
    status = main()
except KeyboardInterrupt:       # during start-up, before main() handles it
    print("error: interrupted; any previous report is left as it was", file=sys.stderr)
    status = 130
sys.exit(status)
