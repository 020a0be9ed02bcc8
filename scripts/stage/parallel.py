"""Second processes: workers staging a long list's chunks, each writing in turn (after the chunk before its own) so
that the stage holds rows in the order one process would have staged them, whatever the number of workers."""

import ctypes
import multiprocessing
import os
import signal
import traceback
from contextlib import contextmanager, suppress
from multiprocessing import connection

from scripts.common import BuildError
from scripts.stage import Stage

CHUNK = 2_000  # records per chunk
WORKERS = min(4, os.cpu_count() or 1)
FORK = multiprocessing.get_context("fork")  # a second process inherits what its function uses (gazetteer, caches)
PR_SET_PDEATHSIG = 1  # prctl option: the signal a child receives when its parent dies


def stage_in_parallel(stage, produce, workers=WORKERS):
    """Stage the (table, values) pairs `produce(select)` yields when `select` lets every record through. `produce`
    reads its records through `select`, yielding each record's pairs before reading the next."""
    stage.conn.commit()  # the workers write to the stage; this process holds no lock on it meanwhile
    turn = FORK.Condition()
    written = FORK.Value("q", 0, lock=False)  # chunks written so far; guarded by `turn`
    pipes, processes = [], []
    try:
        for worker in range(workers):
            pipe, process = started(adapt_chunks, produce, worker, workers, stage.path, turn, written)
            pipes.append(pipe)
            processes.append(process)
        for _ in range(workers):
            pipe = connection.wait(pipes)[0]  # whichever speaks first: a failing one leaves others waiting their turn
            try:
                kind, content = pipe.recv()
            except EOFError:
                raise RuntimeError("a worker process stopped without a word while adapting records") from None
            if kind == "raised":
                raise content
            pipes.remove(pipe)
    finally:
        for process in processes:
            process.kill()  # nothing happens to a process that has ended
            process.join()


def started(function, *args):
    """(the receiving end of its pipe, the process) for function(*args) run in a forked process."""
    receiver, sender = FORK.Pipe(duplex=False)
    process = FORK.Process(target=dying_with_parent, args=(os.getpid(), function, args, sender), daemon=True)
    # A SIGTERM arriving while the fork runs its hooks would be lost there ("Exception ignored"): held until after.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        process.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    sender.close()
    return receiver, process


def dying_with_parent(parent, function, args, pipe):
    """Send what function(*args) returns or raises (a BuildError as it is, anything else as its traceback), in a
    child the kernel kills when its parent dies, so that no worker of a killed build goes on writing."""
    with suppress(OSError, AttributeError):  # not Linux: the child ends when it finds its pipe closed
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})  # held by started() across the fork
    try:
        pipe.send(("returned", function(*args)))
    except Exception as exc:  # noqa: BLE001 - whatever it is, the build must stop and say what
        failure = RuntimeError(f"{function.__name__} failed in a second process:\n{traceback.format_exc()}")
        try:
            pipe.send(("raised", exc if isinstance(exc, BuildError) else failure))
        except Exception:  # noqa: BLE001 - an exception that cannot cross processes is sent as its traceback
            pipe.send(("raised", failure))
    finally:
        pipe.close()


def adapt_chunks(produce, worker, workers, path, turn, written):
    stage = Stage(path, cache_mib=64, fresh=False)
    chunk, batch = None, []  # the chunk being read, and the rows its records have given so far

    def write_in_turn():  # once every chunk before this one is written
        with turn:
            turn.wait_for(lambda: written.value == chunk)
            stage.insert(batch)
            stage.conn.commit()
            written.value += 1
            turn.notify_all()
        batch.clear()

    def select(records):
        nonlocal chunk
        for index, record in enumerate(records):
            if index // CHUNK % workers == worker:
                if index // CHUNK != chunk:  # the previous chunk's records have all given their rows
                    if chunk is not None:
                        write_in_turn()
                    chunk = index // CHUNK
                yield record

    for item in produce(select):
        batch.append(item)  # noqa: PERF402 - select writes out and empties the batch as each chunk ends
    if chunk is not None:
        write_in_turn()
    stage.conn.close()


@contextmanager
def in_background(function, *args):
    """Run function(*args) in a second process; yield a function that waits for it and returns or raises its outcome."""
    receiver, process = started(function, *args)
    outcome = []

    def wait():
        if not outcome:
            try:
                outcome.append(receiver.recv())
            except EOFError:
                outcome.append(("raised", RuntimeError(f"{function.__name__} stopped without a word "
                                                       f"(exit code {process.exitcode})")))
            process.join()
        kind, content = outcome[0]
        if kind == "raised":
            raise content
        return content

    try:
        yield wait
    finally:
        process.kill()
        process.join()
