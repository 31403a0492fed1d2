"""The Parquet lake written by a process of its own.

:class:`LakeWriter` encodes files on a thread beside the analysis, and a thread shares the
interpreter lock: each time the analysis gives the lock up (a compiled kernel, a ``mkdir``)
it may wait for the writer's Python and lock-holding Arrow calls to give it back, and the
writer waits for the analysis' Python in turn. Measured on quarter.pcap (full DPI): the same
analysis keeping its tables in memory, writing nothing, took 6.2-6.4 s against 7.3-7.6 s
with the thread, and a ``mkdir`` that takes ~30 us alone took ~250 us on the analysis' side
(~750 us on the writer's).

:class:`LakeProcess` runs a :class:`LakeWriter` in a child process (``python -m
wirelens.store.lake_process ROOT RUN_ID``) and hands it the record batches through a pipe in
Arrow's IPC format (one copy into the pipe; the child reads them without another). It has
the writer's interface (``write``, ``watermark``, ``drain``, ``close``, ``abort``) and
semantics: every file renamed into place only once whole, a failure raised in the analysis
(the child reports it as soon as it happens and drops what it is given after; the next
``write`` raises it), and what was complete kept when the analysis stops. The pipe bounds
what waits for the child; the child's writer bounds the rest as in-process.

Messages to the child: a header (operation, table, length; :data:`_HEADER`) and a body.
Replies: one JSON line per ``drain``/``close``/``abort``, and one for a failure.
"""

from __future__ import annotations

import json
import os
import select
import signal
import struct
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from wirelens.core.errors import WirelensError
from wirelens.schema import SCHEMAS
from wirelens.store.lake import LakeWriter

_HEADER = struct.Struct("<BHQ")
"""operation, table index (in :data:`_TABLES`), body length."""
_WRITE, _WATERMARK, _DRAIN, _CLOSE, _ABORT = range(5)
_TABLES = sorted(SCHEMAS)
_INDEX = {t: i for i, t in enumerate(_TABLES)}
PIPE_BYTES = 1 << 20
"""Pipe capacity asked for (Linux; the default 64 KiB makes a context switch per 64 KiB)."""


class LakeWriterFailed(WirelensError):
    """The child writing the lake failed with an error that is not an ``OSError``, or ended
    (killed: the system's out-of-memory killer, say)."""


def _ended(code: int | None) -> str:
    """Why the child is gone, in words (``code``: its exit status)."""
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        why = " (the system's out-of-memory killer sends it)" if -code == signal.SIGKILL else ""
        return f"the lake writer process was killed by {name}{why}"
    return f"the lake writer process ended (exit status {code})"


class LakeProcess:
    """A :class:`LakeWriter` in a child process (see the module's notes)."""

    def __init__(self, root: str | Path, run_id: str) -> None:
        self.root = Path(root)
        self.files = 0
        self.peak_rss: int | None = None
        """The child's peak resident memory (bytes), once closed."""
        # the child imports this very package (``-P``: not one that the working folder holds)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(Path(__file__).resolve().parents[2]), *filter(None, [env.get("PYTHONPATH")])])
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-P", "-m", "wirelens.store.lake_process", str(self.root), run_id],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, env=env)
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._to: IO[bytes] = self._proc.stdin
        self._from: IO[bytes] = self._proc.stdout
        _grow_pipe(self._to)

    def write(self, table: str, batch: pa.RecordBatch | pa.Table) -> None:
        """Append rows of ``table`` (its declared schema)."""
        self._check()
        batches = batch.to_batches() if isinstance(batch, pa.Table) else [batch]
        for b in batches:
            if b.num_rows:
                self._send(_WRITE, _INDEX[table], b.serialize())

    def watermark(self, ts_ns: int) -> None:
        """As :meth:`LakeWriter.watermark`."""
        self._send(_WATERMARK, 0, int(ts_ns).to_bytes(8, "little", signed=True))

    def drain(self) -> None:
        """As :meth:`LakeWriter.drain`: every file handed over is finished when it returns."""
        self._send(_DRAIN, 0, b"")
        self._reply()

    def close(self) -> int:
        """Finish the files and end the child; returns how many files were written."""
        if self._proc is None:
            return self.files
        try:
            self._send(_CLOSE, 0, b"")
            msg = self._reply()
            while "files" not in msg:  # (the answer to a drain a failure cut short)
                msg = self._reply()
            self.files = int(msg["files"])
            self.peak_rss = msg.get("peak_rss")
        finally:
            self._end()
        return self.files

    def abort(self) -> None:
        """As :meth:`LakeWriter.abort`: files not complete are dropped."""
        if self._proc is None:
            return
        try:
            self._send(_ABORT, 0, b"")
            self._reply()
        except (OSError, LakeWriterFailed):
            pass  # (aborting after a failure: nothing more to say)
        finally:
            self._end()

    # ---- the pipe -----------------------------------------------------------------------------
    def _send(self, op: int, table: int, body: bytes | pa.Buffer) -> None:
        if self._proc is None:
            raise LakeWriterFailed("the lake writer process has ended")
        try:
            self._write(_HEADER.pack(op, table, len(body)))
            self._write(body)
        except BrokenPipeError:
            self._reply()  # (the child's last words say why)
            raise LakeWriterFailed("the lake writer process ended") from None

    def _write(self, data: bytes | pa.Buffer) -> None:
        """All of ``data`` (an unbuffered pipe's write may take part of it)."""
        view = memoryview(data)
        while view:
            view = view[self._to.write(view) or 0:]

    def _check(self) -> None:
        """Raises a failure the child reported, without waiting."""
        if select.select([self._from], [], [], 0)[0]:
            self._reply()

    def _reply(self) -> dict[str, Any]:
        line = self._from.readline()
        if not line:
            raise LakeWriterFailed(_ended(self._proc.wait() if self._proc is not None else None))
        msg: dict[str, Any] = json.loads(line)
        err = msg.get("error")
        if err is None:
            return msg
        if err.get("errno") is not None:
            raise OSError(err["errno"], err["strerror"], err.get("filename"))
        raise LakeWriterFailed(f"{err['type']}: {err['message']}")

    def _end(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for stream in (self._to, self._from):
            try:
                stream.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _grow_pipe(stream: IO[bytes]) -> None:
    try:
        import fcntl

        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (ImportError, OSError):
        pass  # (the default capacity works, with more switches)


# ---- the child -------------------------------------------------------------------------------
def _read(stream: IO[bytes], n: int) -> bytes:
    """``n`` bytes, or fewer at the end of the stream."""
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, OSError) and exc.errno is not None:
        return {"type": type(exc).__name__, "errno": exc.errno, "strerror": exc.strerror,
                "filename": None if exc.filename is None else str(exc.filename)}
    return {"type": type(exc).__name__, "message": str(exc)}


def serve(root: str, run_id: str, inp: IO[bytes], out: IO[bytes]) -> None:
    """The child's loop: messages from ``inp`` to a :class:`LakeWriter`, replies to ``out``.
    A failure is reported at once, and the writes after it are dropped; the end of ``inp``
    (the analysis gone) closes the writer, keeping what was complete."""
    writer = LakeWriter(root, run_id)
    failed = False

    def reply(msg: dict[str, Any]) -> None:
        try:
            out.write(json.dumps(msg).encode() + b"\n")
            out.flush()
        except BrokenPipeError:
            pass  # (the analysis is gone)

    while True:
        head = _read(inp, _HEADER.size)
        if len(head) < _HEADER.size:  # the analysis is gone: keep what is complete
            _quietly(writer.close)
            return
        op, table, n = _HEADER.unpack(head)
        body = _read(inp, n)
        if op == _ABORT:
            _quietly(writer.abort)
            reply({})
            return
        if op == _CLOSE:
            try:
                writer.close()
            except Exception as exc:
                if not failed:  # (after a failure, more of the same says nothing new)
                    reply({"error": _error(exc)})
            reply({"files": writer.files, "peak_rss": _peak_rss()})
            return
        if failed:  # writes are dropped; a drain is answered
            if op == _DRAIN:
                reply({})
            continue
        try:
            if op == _WRITE:
                name = _TABLES[table]
                writer.write(name, pa.ipc.read_record_batch(pa.py_buffer(body), SCHEMAS[name]))
            elif op == _WATERMARK:
                writer.watermark(int.from_bytes(body, "little", signed=True))
            elif op == _DRAIN:
                writer.drain()
                reply({})
        except Exception as exc:  # reported to the analysis, which raises it
            failed = True
            reply({"error": _error(exc)})


def _peak_rss() -> int | None:
    """This process's peak resident memory (bytes), from ``/proc`` (``getrusage``'s counts
    the parent's memory at the fork before the ``exec``)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _quietly(step: Any) -> None:
    try:
        step()
    except Exception:
        pass


def main(argv: list[str]) -> None:
    # Ctrl-C, and a SIGTERM sent to the whole process group (``timeout``, a service manager),
    # are the analysis' to handle: it closes this writer, or its end closes our input
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    root, run_id = argv
    serve(root, run_id, sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main(sys.argv[1:])
