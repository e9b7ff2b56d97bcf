"""PASS/FAIL bookkeeping shared by the client checks in Scripts/check/: each check runs at once, prints one
line, and is remembered in `results` as (name, passed); `summary` prints the count and gives the exit status.

    from check_support import check, expect, results, summary
    @check("chat works")
    def _():
        expect(ok, "why not")
        return "optional detail"
    sys.exit(summary("checks"))
"""
import time

results = []


def run_check(name, fn):
    """Runs `fn` as one check: PASS (with its returned detail, if any) or FAIL with the exception's reason."""
    start = time.time()
    try:
        detail = fn()
        results.append((name, True))
        print(f"PASS {name} ({time.time() - start:.1f} s){': ' + detail if detail else ''}", flush=True)
    except Exception as e:  # noqa: BLE001 - every failure is reported, none stops the run
        results.append((name, False))
        print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)


def check(name):
    """Decorator form of run_check: the decorated function runs now."""
    def run(fn):
        run_check(name, fn)
        return fn
    return run


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def summary(label="checks"):
    """Prints 'N/M <label> passed' (naming the failures) and returns the exit status: 0, or 1 if any failed."""
    failed = [n for n, ok in results if not ok]
    print(f"{len(results) - len(failed)}/{len(results)} {label} passed" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0
