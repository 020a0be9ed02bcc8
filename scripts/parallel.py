"""Adapting and staging a long list on every core: its records cut into chunks, the chunks shared out to workers.

Each worker process stages the rows of its chunks in a staging file of its own and says where each chunk's
rows are. The build copies them into its stage as they come, chunk by chunk (chunk 0, chunk 1, ...), so
the stage holds them in the order one process would have staged them, and the build's bytes do not depend
on the number of workers.
"""

import multiprocessing
import os
import traceback
from contextlib import contextmanager

from .stage import Stage

CHUNK = 2_000  # records per chunk
WORKERS = min(4, os.cpu_count() or 1)
FORK = multiprocessing.get_context("fork")  # a second process inherits what its function uses (gazetteer, caches)


def stage_in_parallel(stage, produce, workers=WORKERS):
    """Stage the (table, values) pairs `produce(select)` yields when `select` lets every record through.

    `produce` must read its records through `select` and yield each record's pairs before reading the
    next. Chunk c of the records is worker c % workers's.
    """
    paths = [stage.path.with_name(f"{stage.path.name}.{worker}") for worker in range(workers)]
    pipes, processes, attached = [], [], set()
    try:
        for worker, path in enumerate(paths):
            pipe, process = started(work, produce, worker, workers, path)
            pipes.append(pipe)
            processes.append(process)
        chunk = 0
        while True:
            worker = chunk % workers
            kind, content = pipes[worker].recv()
            if kind == "error":
                raise RuntimeError(f"a worker process failed while adapting records:\n{content}")
            if kind == "end":  # that worker has no chunk `chunk`: the records ended before it
                break
            if worker not in attached:  # attached once the worker has made it
                stage.attach(paths[worker], f"part{worker}")
                attached.add(worker)
            stage.copy_rows(f"part{worker}", content)
            chunk += 1
    finally:
        for worker in attached:
            stage.detach(f"part{worker}")
        for process in processes:
            stop(process)
        for path in paths:
            for suffix in ("", "-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)


def started(target, *args):
    """(the receiving end of its pipe, the process) for target(*args, sending end) run in a forked process."""
    receiver, sender = FORK.Pipe(duplex=False)
    process = FORK.Process(target=target, args=(*args, sender), daemon=True)
    process.start()
    sender.close()
    return receiver, process


def stop(process):
    process.kill()  # nothing happens to a process that has ended
    process.join()


def work(produce, worker, workers, path, pipe):
    """Stage this worker's chunks in its own file, saying after each where its rows are; then an end (or an error)."""
    try:
        own = Stage(path, cache_mib=64, journal="WAL")  # WAL: the build reads finished chunks while this writes
        current = [None]  # chunk of the record being read

        def select(records):
            for index, record in enumerate(records):
                if index // CHUNK % workers == worker:
                    current[0] = index // CHUNK
                    yield record

        batch, batch_chunk = [], None
        for item in produce(select):
            if current[0] != batch_chunk and batch:
                send_chunk(own, batch, pipe)
                batch = []
            batch_chunk = current[0]
            batch.append(item)
        if batch:
            send_chunk(own, batch, pipe)
        own.conn.close()
        pipe.send(("end", None))
    except Exception:  # noqa: BLE001 - whatever it is, the build must stop and say what
        pipe.send(("error", traceback.format_exc()))
    finally:
        pipe.close()


def send_chunk(own, items, pipe):
    ranges = own.insert_counted(items)
    own.conn.commit()
    pipe.send(("chunk", ranges))


@contextmanager
def in_background(function, *args):
    """Run function(*args) in a second process; yield a function that waits for it and raises what it raised."""
    receiver, process = started(report, function, args)
    outcome = []

    def wait():
        if not outcome:
            try:
                outcome.append(receiver.recv())
            except EOFError:
                outcome.append(RuntimeError(f"{function.__name__} stopped without a word (exit code {process.exitcode})"))
            process.join()
        if outcome[0] is not None:
            raise outcome[0]

    try:
        yield wait
    finally:
        stop(process)


def report(function, args, pipe):
    """Run the function; send None, or what it raised (a BuildError keeps its message for the maintainer)."""
    try:
        function(*args)
        pipe.send(None)
    except Exception as exc:  # noqa: BLE001 - whatever it is, the build must stop and say what
        try:
            pipe.send(exc)
        except Exception:  # noqa: BLE001 - an exception that cannot cross processes is sent as its traceback
            pipe.send(RuntimeError(traceback.format_exc()))
    finally:
        pipe.close()
