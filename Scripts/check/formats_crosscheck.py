#!/usr/bin/env python3
"""Cross-checks Quill's safetensors/GGUF code against the reference Python packages.

  fixtures DIR   write python-gguf.gguf and python.safetensors with gguf-py / safetensors (the
                 committed Swift test fixtures; Quill must read them and match the quantized bytes)
  check DIR      read quill.gguf and quill.safetensors written by the Swift test `CrossCheckTests`
                 (QUILL_CROSSCHECK_DIR=DIR) with the reference readers and compare every value

Needs: pip install numpy safetensors gguf. Run through Scripts/check/formats.sh.
"""
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q, GGUFValueType as V
from safetensors.numpy import save_file, load_file
from safetensors import safe_open


def pattern(n: int) -> np.ndarray:
    """The values both sides can build exactly: (i % 97 - 48) / 7 in float32."""
    i = np.arange(n, dtype=np.int64)
    return ((i % 97 - 48).astype(np.float32) / np.float32(7)).astype(np.float32)


def fixture_values() -> np.ndarray:
    rng = np.random.default_rng(20240607)
    x = rng.standard_normal((4, 64)).astype(np.float32)
    x[1, :32] = 0.0                                          # an all-zero block
    x[2, :32] = np.linspace(-8, 8, 32, dtype=np.float32)     # Q4_0 half-way cases
    x[3, 32:] = -x[3, 32:] * 1000                            # large magnitudes, negative extreme
    return x


def write_fixtures(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    x = fixture_values()
    w = gguf.GGUFWriter(str(out / "python-gguf.gguf"), arch="quilltest")
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4000000000)
    w.add_int32("test.i32", -2000000000)
    w.add_float32("test.f32", 1.5)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "héllo ✓")
    w.add_uint64("test.u64", 2**63 + 5)
    w.add_int64("test.i64", -(2**62))
    w.add_float64("test.f64", 2.718281828459045)
    w.add_array("test.strings", ["a", "bc", ""])
    w.add_array("test.ints", [1, -2, 3])
    w.add_array("test.nested", [[1, 2], [3]])
    w.add_tensor("values", x)
    for name, qt in [("f16", Q.F16), ("bf16", Q.BF16), ("q8_0", Q.Q8_0), ("q4_0", Q.Q4_0)]:
        q = gguf.quants.quantize(x, qt)
        w.add_tensor(f"values.{name}", q, raw_dtype=qt)
        w.add_tensor(f"values.{name}.dequant", gguf.quants.dequantize(q, qt).astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    save_file({"b": x[:2].astype(np.float16), "a": x[2:], "i8": np.array([-3, 4], dtype=np.int8)},
              str(out / "python.safetensors"), metadata={"format": "np", "source": "formats_crosscheck.py"})
    print(f"wrote fixtures to {out}")


def check_quill(directory: Path) -> int:
    failures = 0

    def expect(ok: bool, what: str) -> None:
        nonlocal failures
        print(("ok   " if ok else "FAIL ") + what)
        failures += 0 if ok else 1

    r = gguf.GGUFReader(str(directory / "quill.gguf"))
    f = r.fields
    expect(f["general.architecture"].contents() == "quilltest", "gguf: general.architecture")
    scalars = {"test.u8": (V.UINT8, 200), "test.i8": (V.INT8, -100), "test.u16": (V.UINT16, 60000),
               "test.i16": (V.INT16, -30000), "test.u32": (V.UINT32, 4000000000), "test.i32": (V.INT32, -2000000000),
               "test.f32": (V.FLOAT32, 1.5), "test.bool": (V.BOOL, True), "test.string": (V.STRING, "héllo ✓"),
               "test.u64": (V.UINT64, 2**63 + 5), "test.i64": (V.INT64, -(2**62)), "test.f64": (V.FLOAT64, 2.718281828459045)}
    for key, (vtype, value) in scalars.items():
        expect(f[key].types == [vtype] and f[key].contents() == value, f"gguf: {key} = {value!r} ({vtype.name})")
    expect(f["test.strings"].types == [V.ARRAY, V.STRING] and f["test.strings"].contents() == ["a", "bc", ""],
           "gguf: string array")
    expect(f["test.ints"].types == [V.ARRAY, V.INT32] and f["test.ints"].contents() == [1, -2, 3], "gguf: int32 array")
    expect(f["test.nested"].types[:2] == [V.ARRAY, V.ARRAY], "gguf: nested array types")
    tensors = {t.name: t for t in r.tensors}
    x = pattern(4 * 64).reshape(4, 64)
    expect(list(tensors["values"].shape) == [64, 4], "gguf: dims in ne order [64, 4]")
    expect(np.array_equal(np.asarray(tensors["values"].data).reshape(4, 64), x), "gguf: F32 values")
    for name, qt in [("f16", Q.F16), ("bf16", Q.BF16), ("q8_0", Q.Q8_0), ("q4_0", Q.Q4_0)]:
        t = tensors[f"values.{name}"]
        ours = np.asarray(t.data).view(np.uint8).tobytes()
        ref = gguf.quants.quantize(x, qt).view(np.uint8).tobytes()
        expect(t.tensor_type == qt and ours == ref, f"gguf: {name} bytes identical to gguf.quants.quantize")
        deq = gguf.quants.dequantize(np.asarray(t.data), qt).reshape(4, 64)
        expect(np.array_equal(deq, np.asarray(tensors[f"values.{name}.quill_dequant"].data).reshape(4, 64)),
               f"gguf: {name} Quill dequantize == gguf.quants.dequantize")
    expect(r.alignment == 64 if "general.alignment" in f else True, "gguf: alignment")

    st = load_file(str(directory / "quill.safetensors"))
    with safe_open(str(directory / "quill.safetensors"), "np") as handle:
        expect(handle.metadata() == {"format": "pt", "writer": "quill"}, "safetensors: metadata")
    expect(np.array_equal(st["f32"], x), "safetensors: F32 values")
    expect(np.array_equal(st["f16"], x.astype(np.float16)), "safetensors: F16 = numpy float16 rounding")
    expect(st["i8"].dtype == np.int8 and st["i8"].tolist() == [-1, 2, -128], "safetensors: I8")
    expect(st["scalar"].shape == () and float(st["scalar"]) == 3.0, "safetensors: scalar shape ()")
    print(f"crosscheck: {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("fixtures", "check"):
        print(__doc__)
        sys.exit(2)
    if sys.argv[1] == "fixtures":
        write_fixtures(Path(sys.argv[2]))
    else:
        sys.exit(check_quill(Path(sys.argv[2])))
