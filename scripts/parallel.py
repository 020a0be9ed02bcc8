"""Adapting a long list on every core: its records cut into chunks, the chunks shared out to worker processes.

The items come back in the order one process would give them (chunk 0, chunk 1, ...), so the build's
bytes do not depend on how many workers there were.
"""

import multiprocessing
import os
import traceback

CHUNK = 2_000  # records per chunk
WORKERS = min(4, os.cpu_count() or 1)


def in_parallel(produce, workers=WORKERS):
    """What `produce(select)` yields when `select` lets every record through, computed by `workers` processes.

    `produce` must read its records through `select`, yield each record's items before reading the next,
    and give at least one item per record. Chunk c is worker c % workers's, so the items are read back
    from one worker at a time, in chunk order.
    """
    context = multiprocessing.get_context("fork")  # workers inherit what `produce` uses (gazetteer, caches)
    pipes, processes = [], []
    for worker in range(workers):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=work, args=(produce, worker, workers, sender), daemon=True)
        process.start()
        sender.close()
        pipes.append(receiver)
        processes.append(process)
    try:
        chunk = 0
        while True:
            kind, content = pipes[chunk % workers].recv()
            if kind == "error":
                raise RuntimeError(f"a worker process failed while adapting records:\n{content}")
            if kind == "end":  # that worker has no chunk `chunk`: the records ended before it
                break
            yield from content
            chunk += 1
    finally:
        for process in processes:
            process.kill()
            process.join()


def work(produce, worker, workers, pipe):
    """Produce this worker's chunks, sending each chunk's items as one message, then an end (or an error)."""
    try:
        current = [None]  # chunk of the record being read

        def select(records):
            for index, record in enumerate(records):
                if index // CHUNK % workers == worker:
                    current[0] = index // CHUNK
                    yield record

        batch, batch_chunk = [], None
        for item in produce(select):
            if current[0] != batch_chunk and batch:
                pipe.send(("items", batch))
                batch = []
            batch_chunk = current[0]
            batch.append(item)
        if batch:
            pipe.send(("items", batch))
        pipe.send(("end", None))
    except Exception:  # noqa: BLE001 - whatever it is, the build must stop and say what
        pipe.send(("error", traceback.format_exc()))
    finally:
        pipe.close()
