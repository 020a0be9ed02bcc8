"""A command run to completion: its wall time and the peak memory of all its processes."""

import subprocess
import time

import psutil

SAMPLE_SECONDS = 0.2


def run_measured(command, **popen):
    """(seconds, peak MiB, finished Popen) of `command`.

    Memory is the summed proportional set size (PSS: a page shared by n processes counts 1/n in each) of the
    command's process and its descendants, sampled every 0.2 s. ru_maxrss would not do: it counts one
    process (the build adapts in several), and on Linux it carries the measuring process's own peak over
    the fork into the child's figure.
    """
    started = time.perf_counter()
    process = subprocess.Popen(command, **popen)
    root = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_pss(root))
        time.sleep(SAMPLE_SECONDS)
    return round(time.perf_counter() - started, 2), round(peak / 2**20), process


def tree_pss(root):
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for process in processes:
        try:
            total += process.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total
