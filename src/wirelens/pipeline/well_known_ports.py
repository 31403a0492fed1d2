"""The dissectors' well-known ports, written out (generated: do not edit by hand).

:func:`wirelens.dissect.registry.ports_of` of the default registry for TCP and UDP, kept here
so a flows-only run (:class:`wirelens.pipeline.dpi_common.NoDpi`) turns the roles of flows
joined in their middle without importing every dissector. ``python -m
wirelens.pipeline.well_known_ports`` writes this file again from the registry; a test fails
while the two differ.
"""

from __future__ import annotations


def _ports(text: str) -> frozenset[int]:
    """``"1-3 7"`` -> {1, 2, 3, 7}."""
    out: set[int] = set()
    for part in text.split():
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return frozenset(out)


TCP = _ports("""
21-23 25 53 80 88 102 104 110-111 119 135 139 143 179 210 389 427 433 443 445 465 502
514 554 587 601 636 853 873 988 993 995 1080 1099 1153 1194 1433 1720 1723 1883 1935
2000 2049 2181 2222 2404 2525 2575 2775 3128 3260 3268 3300 3306 3333 3389 3478-3479
3724 3868 4059 4222 4342 4444 4661-4662 4712-4713 4730 4840 4880 5005 5060-5061 5094
5222 5269 5349 5353 5355 5432 5443 5555 5672 5900-5906 5938 6000-6063 6346 6379 6556
6633 6653 6665-6669 6789 6800-7300 7777 8000 8008 8020 8080 8085 8333 8443 8554 8883
8888 8999-9000 9042 9090 9092 9418 9600 9999 10050-10051 11095 11112 11211 14444
17224-17225 18080 18333 18444 20000 27017-27019 28080 30490 30501 38080 38333 44818
45700 48333 48898 51413 61613 61616
""")

UDP = _ports("""
53 67-69 88 111 123 135 137-138 161-162 319-320 389 427 443 500 514 546-547 601 784 853
1153 1194 1434 1628-1629 1645-1646 1701 1812-1813 1900 1985 2029 2049 2055-2056 2123
2222 2427 2727 3268 3478-3479 3671 3702 3784-3785 3799 4059 4342 4433 4500 4569
4712-4713 4739 4784 5050 5055-5056 5058 5060-5061 5094 5246 5349 5351 5353 5355 5443
5683 6000 6060 6668 6784 6831-6832 6881 6889 7400-7500 7784 8116 8443 8801-8810 9090
9600 9987 9995-9996 9999 10001 11211 11898 17224-17225 17500 18246 19000 19132-19133
20000 21027 22023 22101-22102 25826 27015 27036 30490 30501 44818 47808 50001 51413
51820 57621 64738
""")


def _text(ports: frozenset[int]) -> str:
    """The ports as ``_ports`` reads them: runs of consecutive ports as ``lo-hi``, lines of
    at most 88 characters."""
    runs: list[str] = []
    for p in sorted(ports):
        if runs and p - 1 == int(runs[-1].rpartition("-")[2]):
            runs[-1] = f"{runs[-1].partition('-')[0]}-{p}"
        else:
            runs.append(str(p))
    lines = [""]
    for r in runs:
        if lines[-1] and len(lines[-1]) + 1 + len(r) > 88:
            lines.append("")
        lines[-1] = f"{lines[-1]} {r}" if lines[-1] else r
    return "\n".join(lines)


def written() -> str:
    """This file's text from the registry's ports now."""
    from pathlib import Path

    from wirelens.dissect.registry import ports_of

    text = Path(__file__).read_text()
    head, _, rest = text.partition('TCP = _ports("""\n')
    _, _, rest = rest.partition('""")\n\nUDP = _ports("""\n')
    _, _, tail = rest.partition('""")\n')
    return (f'{head}TCP = _ports("""\n{_text(ports_of(6))}\n""")\n\nUDP = _ports("""\n'
            f'{_text(ports_of(17))}\n""")\n{tail}')


if __name__ == "__main__":
    from pathlib import Path

    Path(__file__).write_text(written())
