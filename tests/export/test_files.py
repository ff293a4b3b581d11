import hashlib

from export.files import sha256, write_bytes


def test_sha256_is_the_hex_digest():
    assert sha256(b"iris") == hashlib.sha256(b"iris").hexdigest()


def test_write_bytes_replaces_atomically(tmp_path):
    target = tmp_path / "sub" / "file.bin"
    write_bytes(target, b"one")
    write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["file.bin"]
