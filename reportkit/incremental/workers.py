"""Forked worker processes: one per format, the PDF writer forked before the report is read,
``forked_map``'s, a few at a time, for several reports, and workers that ask this process a
question midway (``talker``: a long report's groups, which wait for each other's page counts).
Light: ``reportkit build`` forks before it imports the pipeline.

A process forked with its work shares what this one has loaded (the report, without pickling
it); only results and errors travel back, through a pipe. Ctrl-C is the parent's to handle:
the parent ends its workers. A worker whose parent dies (``kill -9``, the OOM killer) ends too:
the kernel kills it (Linux), and a worker waiting for its work finds the pipe closed.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.connection import wait
from typing import Iterator

from ..libreoffice import end_with_parent
from ..writers import import_writer


def collect_in_batches() -> None:
    """Python's collector set for a process that makes millions of objects and keeps most of
    them to its end (a build, a worker; WeasyPrint's layout): it runs every 50,000 new objects
    instead of 700. A group of 90 pages then spends about a sixth of the time collecting (0.7 s
    → 0.1 s, with what it inherits left out: ``_serve``), for about 10 MB more at its peak."""
    gc.set_threshold(50_000, 20, 100)


class Forked:
    """A forked process that imports ``module`` and runs its ``function`` once: on ``args``
    given here (inherited by the fork, never pickled), or on those ``send`` passes later (a
    worker started ahead: it imports the module while this process reads the report)."""

    def __init__(self, name: str, module: str, function: str, args: tuple | None = None, *,
                 preload: str | None = None, daemon: bool = True, slots=None):
        """``preload`` is a module imported before ``module`` (the PDF engine, for a function that
        imports it only when called); a worker that forks workers of its own is no ``daemon``
        (it still ends with this process). With ``slots`` (a semaphore), the function is given
        ``ask`` as its last argument (see ``talker``)."""
        context = multiprocessing.get_context("fork")
        self.name = name
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(module, function, args, child, self.conn, os.getpid(),
                                                            preload, slots), daemon=daemon)
        self.process.start()
        child.close()

    def send(self, *args) -> None:
        """Hand the arguments over (pickled: the worker was forked before they existed), with
        SOURCE_DATE_EPOCH as this process has it now (``build`` sets it while it renders)."""
        try:
            self.conn.send((args, {k: v for k, v in os.environ.items() if k == "SOURCE_DATE_EPOCH"}))
        except OSError:  # the worker has ended (its import failed): ``result`` says why
            pass

    def result(self):
        """Wait for (result, seconds); raises what the function raised."""
        return self.message()[1]

    def message(self) -> tuple[str, object]:
        """Wait for ("ask", question) or ("done", (result, seconds)); raises what the function
        raised."""
        try:
            ok, result = self.conn.recv()
        except EOFError:
            raise RuntimeError(f"the {self.name.upper()} writer process ended without a result") from None
        if ok is None:
            return "ask", result
        if not ok:
            raise result
        return "done", result

    def reply(self, answer) -> None:
        """Answer the worker's question."""
        self.conn.send(answer)

    def close(self) -> None:
        """End the worker: done, unused (perhaps still importing) or busy (Ctrl-C, an error)."""
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _serve(module: str, function: str, args: tuple | None, conn, parents_end, parent: int,
           preload: str | None = None, slots=None) -> None:
    parents_end.close()  # so that the parent's death closes the pipe
    _ignore_interrupts(parent)
    # A worker lives for one job: what it inherits is never its garbage, and its collector
    # need not scan it each time it collects the oldest objects.
    gc.freeze()
    collect_in_batches()
    try:
        if preload:
            import_writer(preload)
        run = getattr(import_writer(module), function)
        if args is None:
            try:
                args, environ = conn.recv()
            except EOFError:  # the parent is gone
                return
            os.environ.update(environ)
    except Exception as err:  # raised again in the parent
        _send(conn, (False, err))
        return
    if slots is None:
        _run_and_send(conn, run, args)
    else:
        _asking(conn, run, args, slots)


def _run_and_send(conn, run, args: tuple, slots=None) -> None:
    """Send ``run(*args)`` (with the seconds it took) or what it raised, ``slots``' slot given
    back first: the parent ends a worker once it has its result."""
    start = time.perf_counter()
    try:
        result = (True, (run(*args), time.perf_counter() - start))
    except Exception as err:  # raised again in the parent
        result = (False, err)
    if slots is not None:
        slots.release()
    _send(conn, result)


def _send(conn, result: tuple) -> None:
    try:
        conn.send(result)
    except Exception as err:  # an exception that cannot be pickled
        conn.send((False, RuntimeError(f"{type(err).__name__}: {err}")))


class _Gone(BaseException):
    """The parent closed the pipe while the worker waited for a reply (not an ``Exception``:
    nothing is sent back)."""


def _asking(conn, run, args: tuple, slots, stop: threading.Event | None = None) -> None:
    """``run(*args, ask)`` holding one of ``slots`` except while ``ask`` waits for the reply."""

    def take() -> None:
        """Take a slot; a worker ended meanwhile (``Threaded.close``) gives it back and ends."""
        slots.acquire()
        if stop is not None and stop.is_set():
            slots.release()
            raise _Gone

    def ask(question):
        slots.release()
        try:
            conn.send((None, question))
            answer = conn.recv()
        except (EOFError, OSError):
            raise _Gone from None
        take()
        return answer

    try:
        take()
        _run_and_send(conn, run, (*args, ask), slots)
    except (_Gone, OSError):  # the parent closed the pipe
        pass


class Threaded:
    """A ``Forked`` worker given ``slots`` (``talker``), as a thread of this process: for a build
    that may start no process (``--jobs 1``). With one slot the threads take turns."""

    def __init__(self, name: str, module: str, function: str, args: tuple, slots):
        self.name, self.stop = name, threading.Event()
        self.conn, child = multiprocessing.Pipe()
        run = getattr(import_writer(module), function)
        self.thread = threading.Thread(target=_asking, args=(child, run, args, slots, self.stop), daemon=True)
        self.thread.start()

    message, reply, result = Forked.message, Forked.reply, Forked.result

    def close(self) -> None:
        """End the worker: one waiting for a slot or a reply ends then."""
        self.stop.set()
        self.conn.close()


def talker(name: str, module: str, function: str, args: tuple, slots, threads: bool) -> Forked | Threaded:
    """A worker running ``function(*args, ask)`` of ``module``, forked (inheriting ``args``) or in
    a thread of this process (``threads``); ``ask(question)`` hands the question to this
    process (``message``) and returns its ``reply``. A worker holds one of ``slots`` (``slots()``
    gives a semaphore: at most so many run at once) except while it waits for a reply, so that
    workers that wait for each other never hold up those still to run."""
    if threads:
        return Threaded(name, module, function, args, slots)
    return Forked(name, module, function, args, slots=slots)


def slots(count: int, threads: bool):
    """A semaphore of ``count`` slots, for ``talker``'s workers."""
    if threads:
        return threading.Semaphore(count)
    return multiprocessing.get_context("fork").Semaphore(count)


def can_fork() -> bool:
    """Whether worker processes can be forked (they then share what is already loaded)."""
    return "fork" in multiprocessing.get_all_start_methods()


def start_pdf() -> Forked | None:
    """The PDF writer, forked now to import WeasyPrint (0.4 s) while this process reads the
    report, then to lay out the HTML made here, or the report in groups of parts in workers of
    its own (``render.render_ahead``); None where processes cannot be forked."""
    if not can_fork():
        return None
    try:
        return Forked("pdf", "reportkit.incremental.groups", "render_sent", preload="reportkit.writers.pdf",
                      daemon=False)
    except OSError:
        return None


def results(workers: list[Forked]) -> Iterator[tuple]:
    """(name, result, seconds) of each worker, as each is ready."""
    pending = {worker.conn: worker for worker in workers}
    while pending:
        for conn in wait(list(pending)):
            worker = pending.pop(conn)
            yield worker.name, *worker.result()


def forked_map(name: str, module: str, function: str, work: list[tuple], processes: int) -> Iterator:
    """``function(*args)`` of ``module`` for each ``args`` of ``work``, each in a forked process
    of its own (named ``name`` in errors) that inherits its arguments, at most ``processes`` at
    once; the results in the order of ``work``, each as soon as it and those before it are
    ready. Raises what a call raised, its siblings ended."""
    found: dict[int, object] = {}
    todo, running, given = list(enumerate(work)), {}, 0
    try:
        while given < len(work):
            while todo and len(running) < processes:
                k, args = todo.pop(0)
                worker = Forked(name, module, function, args)
                running[worker.conn] = (k, worker)
            for conn in wait(list(running)):
                k, worker = running.pop(conn)
                try:
                    found[k] = worker.result()[0]
                finally:
                    worker.close()
            while given in found:
                yield found.pop(given)
                given += 1
    finally:
        for _, worker in running.values():
            worker.close()


def _ignore_interrupts(parent: int) -> None:
    """In a worker of process ``parent``: leave Ctrl-C to it, end on its terminate(), die with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's terminate() just ends us
    end_with_parent(parent)
