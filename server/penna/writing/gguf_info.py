"""What a GGUF file says about itself, read from its header without loading any weights.

We parse the header ourselves instead of using `gguf.GGUFReader`: the reader decodes every
metadata array (a 262k-entry vocabulary for Gemma 3) into numpy objects and took ~12 s on the
253 MB default model; this parser skips what it does not need and takes a few milliseconds.
It also avoids importing `gguf` (and numpy) at run time, which alone costs ~135 ms.

Layout (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md):
    magic "GGUF" | version u32 | tensor_count | kv_count | kv pairs | tensor infos | padding | data
Counts and string lengths are u64 from version 2 on, u32 in version 1. Files may be big-endian.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32

# general.file_type → the name people use for the quantization (llama.cpp's `llama_ftype`,
# without the MOSTLY_ prefix). Kept here rather than read from `gguf.LlamaFileType` so that
# reading a header never imports numpy; tests check it still agrees with the `gguf` package.
FILE_TYPE_NAMES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 4: "Q4_1_SOME_F16", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
    10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
    16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
    22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
    28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
    38: "MXFP4_MOE", 39: "NVFP4", 40: "Q1_0",
}
# llama.cpp ORs this flag into file_type when the type was guessed from the tensors.
FILE_TYPE_GUESSED = 1024

# ggml tensor type → (name, elements per block, bytes per block), as in gguf.GGML_QUANT_SIZES.
TENSOR_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 40),
    10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110),
    22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136), 24: ("I8", 1, 1), 25: ("I16", 1, 2),
    26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8), 29: ("IQ1_M", 256, 56),
    30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66), 39: ("MXFP4", 32, 17),
    40: ("NVFP4", 64, 36), 41: ("Q1_0", 128, 18),
}

# Metadata value types → struct format of a fixed-size scalar.
_SCALAR_FORMATS: dict[int, str] = {
    0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d",
}
_STRING, _ARRAY = 8, 9


class GgufError(ValueError):
    """The file is missing, is not a GGUF model, or its header is damaged. The message is one line."""


@dataclass(frozen=True)
class GgufInfo:
    path: Path
    size_bytes: int
    architecture: str | None  # general.architecture, e.g. "gemma3", "llama", "qwen2"
    name: str | None  # general.name, when the converter wrote one
    quantization: str | None  # "Q4_K_M", "F16", … from general.file_type or the tensor types
    context_length: int | None  # <architecture>.context_length: what the model was trained for
    has_chat_template: bool  # False → a base model: penna prompts it with documents, not messages
    chat_template: str | None = field(repr=False)  # often kilobytes of Jinja
    version: int = 3
    tensor_count: int = 0


@dataclass
class _Header:
    version: int
    tensor_count: int
    metadata: dict[str, Any]  # scalars and strings only; arrays are skipped (stored as None)
    tensor_types: list[tuple[int, int]]  # (ggml type, element count) per tensor
    required_bytes: int | None  # where the last tensor's data ends; None if a type is unknown


class _Cursor:
    """Reads little- or big-endian GGUF values from a buffer; any overrun is a truncated file."""

    def __init__(self, buffer: Any, size: int, endian: str, wide: bool) -> None:
        self.buffer = buffer
        self.size = size
        self.endian = endian
        self.count_format = "Q" if wide else "I"  # GGUF v1 used 32-bit counts and lengths
        self.count_size = 8 if wide else 4
        self.position = 0

    def need(self, length: int) -> None:
        if length < 0 or self.position + length > self.size:
            raise _Truncated(self.position)

    def unpack(self, fmt: str) -> Any:
        fmt = self.endian + fmt
        self.need(struct.calcsize(fmt))
        (value,) = struct.unpack_from(fmt, self.buffer, self.position)
        self.position += struct.calcsize(fmt)
        return value

    def count(self) -> int:
        return int(self.unpack(self.count_format))

    def string(self) -> str:
        length = self.count()
        self.need(length)
        raw = bytes(self.buffer[self.position : self.position + length])
        self.position += length
        return raw.decode("utf-8", errors="replace")

    def skip_strings(self, count: int) -> None:
        # The hot loop of the whole parser: a vocabulary can hold 260k strings (~25 ms here).
        # No bounds check per item: unpack_from raises struct.error past the end of the buffer
        # (OverflowError when a corrupt length pushed the position beyond any machine size).
        unpack_length = struct.Struct(self.endian + self.count_format).unpack_from
        step, buffer, position = self.count_size, self.buffer, self.position
        try:
            for _ in range(count):
                position += step + unpack_length(buffer, position)[0]
        except (struct.error, OverflowError):
            raise _Truncated(position) from None
        if position > self.size:
            raise _Truncated(self.size)
        self.position = position


class _Truncated(Exception):
    def __init__(self, position: int) -> None:
        super().__init__(position)
        self.position = position


def read_gguf_info(path: Path) -> GgufInfo:
    """Read a GGUF file's header. Raises GgufError (one line) if it is missing, not GGUF, or damaged."""
    path = Path(path)
    size = _file_size(path)
    header = _read_header(path, size)
    if header.required_bytes is not None and header.required_bytes > size:
        raise GgufError(
            f"truncated GGUF file (incomplete download?): {path} has {size} bytes, "
            f"its tensors need {header.required_bytes}"
        )
    metadata = header.metadata
    architecture = _text(metadata.get("general.architecture"))
    template = _text(metadata.get("tokenizer.chat_template"))
    return GgufInfo(
        path=path,
        size_bytes=size,
        architecture=architecture,
        name=_text(metadata.get("general.name")),
        quantization=_quantization(metadata.get("general.file_type"), header.tensor_types),
        context_length=_positive_int(metadata.get(f"{architecture}.context_length")),
        has_chat_template="tokenizer.chat_template" in metadata,
        chat_template=template,
        version=header.version,
        tensor_count=header.tensor_count,
    )


def _file_size(path: Path) -> int:
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise GgufError(f"model file not found: {path}") from None
    except OSError as error:
        raise GgufError(f"cannot read model file {path}: {error.strerror or error}") from None
    if path.is_dir():
        raise GgufError(f"model path is a directory, not a GGUF file: {path}")
    return stat.st_size


def _read_header(path: Path, size: int) -> _Header:
    if size < 4:
        raise GgufError(f"not a GGUF file (too short to hold a header, {size} bytes): {path}")
    try:
        # mmap so that only the header pages are ever read from disk, whatever the file size.
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buffer:
            return _parse(buffer, size, path)
    except OSError as error:
        raise GgufError(f"cannot read model file {path}: {error.strerror or error}") from None


def _parse(buffer: Any, size: int, path: Path) -> _Header:
    if bytes(buffer[:4]) != MAGIC:
        raise GgufError(f"not a GGUF file (bad magic {bytes(buffer[:4])!r}): {path}")
    try:
        endian, version = _endianness(buffer, size, path)
        cursor = _Cursor(buffer, size, endian, wide=version >= 2)
        cursor.position = 8
        tensor_count = cursor.count()
        kv_count = cursor.count()
        metadata = _read_metadata(cursor, kv_count, path)
        tensors = _read_tensor_infos(cursor, tensor_count, path)
    except _Truncated as error:
        raise GgufError(f"truncated or corrupt GGUF header (ends early at byte {error.position}): {path}") from None
    alignment = _positive_int(metadata.get("general.alignment")) or DEFAULT_ALIGNMENT
    data_start = _align(cursor.position, alignment)
    return _Header(version, tensor_count, metadata, [(t, n) for t, n, _ in tensors], _data_end(tensors, data_start))


def _endianness(buffer: Any, size: int, path: Path) -> tuple[str, int]:
    if size < 8:
        raise _Truncated(size)
    (version,) = struct.unpack_from("<I", buffer, 4)
    if version in (1, 2, 3):
        return "<", version
    (swapped,) = struct.unpack_from(">I", buffer, 4)
    if swapped in (1, 2, 3):
        return ">", swapped
    raise GgufError(f"unsupported GGUF version {version} (corrupt header?): {path}")


def _read_metadata(cursor: _Cursor, kv_count: int, path: Path) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = cursor.string()
        value_type = cursor.unpack("I")
        metadata[key] = _read_value(cursor, value_type, path, key)
    return metadata


def _read_value(cursor: _Cursor, value_type: int, path: Path, key: str) -> Any:
    if value_type == _STRING:
        return cursor.string()
    if value_type == _ARRAY:
        _skip_array(cursor, path, key)
        return None  # penna needs no array values (vocabularies, merges, tags)
    fmt = _SCALAR_FORMATS.get(value_type)
    if fmt is None:
        raise GgufError(f"corrupt GGUF header (unknown value type {value_type} for {key!r}): {path}")
    return cursor.unpack(fmt)


def _skip_array(cursor: _Cursor, path: Path, key: str, depth: int = 0) -> None:
    if depth > 8:  # real files nest arrays once at most; a crafted one could exhaust the stack
        raise GgufError(f"corrupt GGUF header (arrays nested too deep in {key!r}): {path}")
    item_type = cursor.unpack("I")
    count = cursor.count()
    if item_type == _STRING:
        cursor.need(count * cursor.count_size)  # each string has at least its length prefix
        cursor.skip_strings(count)
    elif item_type == _ARRAY:
        for _ in range(count):
            _skip_array(cursor, path, key, depth + 1)
    elif item_type in _SCALAR_FORMATS:
        length = count * struct.calcsize(_SCALAR_FORMATS[item_type])
        cursor.need(length)
        cursor.position += length
    else:
        raise GgufError(f"corrupt GGUF header (unknown array type {item_type} for {key!r}): {path}")


def _read_tensor_infos(cursor: _Cursor, tensor_count: int, path: Path) -> list[tuple[int, int, int]]:
    """(ggml type, element count, data offset) for each tensor; the data itself is never touched."""
    tensors = []
    for _ in range(tensor_count):
        cursor.string()  # the tensor's name
        n_dims = cursor.unpack("I")
        if n_dims > 8:  # ggml tensors have at most 4 dimensions; more means garbage
            raise GgufError(f"corrupt GGUF header (tensor with {n_dims} dimensions): {path}")
        elements = 1
        for _ in range(n_dims):
            elements *= cursor.count()
        tensor_type = cursor.unpack("I")
        offset = cursor.unpack("Q")
        tensors.append((tensor_type, elements, offset))
    return tensors


def _data_end(tensors: list[tuple[int, int, int]], data_start: int) -> int | None:
    """Bytes the file must hold for every tensor's data, or None if some tensor type is unknown."""
    end = data_start
    for tensor_type, elements, offset in tensors:
        known = TENSOR_TYPES.get(tensor_type)
        if known is None:
            return None  # a newer ggml type: skip the size check rather than reject a good file
        _, block, block_bytes = known
        end = max(end, data_start + offset + elements // block * block_bytes)
    return end


def _align(position: int, alignment: int) -> int:
    return position + (-position % alignment)


def _quantization(file_type: Any, tensor_types: list[tuple[int, int]]) -> str | None:
    if isinstance(file_type, int) and not isinstance(file_type, bool):
        name = FILE_TYPE_NAMES.get(file_type & ~FILE_TYPE_GUESSED)
        if name is not None:
            return name
    return _dominant_tensor_type(tensor_types) or (f"file_type {file_type}" if file_type is not None else None)


def _dominant_tensor_type(tensor_types: list[tuple[int, int]]) -> str | None:
    """Without general.file_type, name the type that holds most of the weights (e.g. "Q4_K").

    F32 is ignored unless it is all there is: norms and biases stay F32 in every quantized file.
    """
    totals: dict[str, int] = {}
    for tensor_type, elements in tensor_types:
        name = TENSOR_TYPES.get(tensor_type, (f"type {tensor_type}", 1, 1))[0]
        totals[name] = totals.get(name, 0) + elements
    if not totals:
        return None
    quantized = {name: total for name, total in totals.items() if name != "F32"} or totals
    return max(quantized, key=quantized.__getitem__)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _positive_int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def describe(info: GgufInfo) -> str:
    """One line for `penna model list`: "gemma3 · Q4_K_M · ctx 32768 · base · 253 MB"."""
    parts = [
        info.architecture or "unknown architecture",
        info.quantization or "unknown quantization",
        f"ctx {info.context_length}" if info.context_length else "ctx ?",
        "chat" if info.has_chat_template else "base",
        f"{info.size_bytes / 1_000_000:.0f} MB",
    ]
    return " · ".join(parts)


__all__ = ["FILE_TYPE_NAMES", "TENSOR_TYPES", "GgufError", "GgufInfo", "describe", "read_gguf_info"]
