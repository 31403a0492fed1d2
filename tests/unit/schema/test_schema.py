import pyarrow as pa
import pytest

from wirelens.schema import SCHEMAS
from wirelens.schema.fields import doc_of
from wirelens.service.schema_doc import describe


@pytest.mark.parametrize("table", sorted(SCHEMAS))
def test_every_field_is_documented(table):
    for fld in SCHEMAS[table]:
        assert doc_of(fld).strip(), f"{table}.{fld.name} has no doc"


@pytest.mark.parametrize("table", ["conn", "dns", "http", "tls"])
def test_join_keys(table):
    names = SCHEMAS[table].names
    assert names[:6] == ["ts", "uid", "orig_h", "orig_p", "resp_h", "resp_p"]
    assert SCHEMAS[table].field("ts").type == pa.timestamp("ns", tz="UTC")


def test_feature_names_follow_the_convention():
    conn = SCHEMAS["conn"].names
    for d in ("src2dst", "dst2src", "bidirectional"):
        for stat in ("min", "mean", "stddev", "max"):
            assert f"{d}_{stat}_piat_ms" in conn and f"{d}_{stat}_ps" in conn
    assert len(set(conn)) == len(conn)


def test_describe_unknown_table():
    with pytest.raises(KeyError):
        describe("nope")
    assert describe("weird")[4]["name"] == "name"
