"""File integrity helpers: checksums of files and folders."""
import hashlib
import os

BLOCK_SIZE = 65536


def compute_file_checksum(path):
    """Compute the SHA-256 checksum of a file, reading it in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(BLOCK_SIZE), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file_checksum(path, expected_checksum):
    """Check that a file's SHA-256 checksum equals the expected checksum."""
    return compute_file_checksum(path) == expected_checksum.lower()


def count_words(text):
    """Count the words of a text, splitting on whitespace."""
    return len(text.split())
