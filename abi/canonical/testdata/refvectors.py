#!/usr/bin/env python3
"""Generate testdata/golden.json.gz: canonical ABI test vectors from the
reference implementation of the Component Model, definitions.py
(design/mvp/canonical-abi/definitions.py in WebAssembly/component-model;
not part of this repository).

    CANONICAL_ABI_DEFINITIONS=/path/to/definitions.py python3 refvectors.py | gzip -9 > golden.json.gz

The vectors are produced by definitions.py itself (this script only builds
types and values, runs its functions and writes what they return):

  layout: elem_size, alignment and flatten_type of random types;
  lower:  lower_flat_values of random values of random parameter lists,
          into a 64 KiB memory through a bump-allocating realloc (the same
          algorithm as testdata/guest.wat), giving core values, the bytes
          written and the realloc calls;
  lift:   lift_flat_values of those core values and memory, and of randomly
          corrupted copies of them, giving a value or a trap;
  result: lower_flat_values of a random value as a lowered import's result
          (MAX_FLAT_RESULTS; beyond it at a return pointer), and
          lift_flat_values of it back as a lifted export's result.

Every vector starts from the same handle table: handles 1, 2 and 3 own
representations 0, 1 and 2 of one resource type; handle 4 borrows
representation 9. The resource type is implemented by another instance.
TestGolden (golden_test.go) replays the vectors through package canonical.
"""

import __future__
import json
import os
import random
import struct
import sys
import types

path = os.environ.get("CANONICAL_ABI_DEFINITIONS")
if not path:
    sys.exit("set CANONICAL_ABI_DEFINITIONS to the path of definitions.py")
# definitions.py relies on deferred evaluation of annotations (Python
# 3.14); compiling it with the annotations future gives the same on 3.10+.
d = types.ModuleType("definitions")
d.__file__ = path
sys.modules["definitions"] = d
with open(path) as f:
    exec(compile(f.read(), path, "exec", flags=__future__.annotations.compiler_flag, dont_inherit=True), d.__dict__)
d.DETERMINISTIC_PROFILE = True  # lowered NaNs are the canonical NaN

rnd = random.Random(int(os.environ.get("SEED", "12")))
HEAP0 = 1024
MEMSIZE = 65536

# ---- types: a JSON form and the definitions.py form ----

PRIMS = ["bool", "s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64", "f32", "f64", "char", "string"]
RT = d.ResourceType(d.ComponentInstance(d.Store()))


def py_type(j):
    k = j["k"]
    prim = {"bool": d.BoolType, "s8": d.S8Type, "u8": d.U8Type, "s16": d.S16Type, "u16": d.U16Type,
            "s32": d.S32Type, "u32": d.U32Type, "s64": d.S64Type, "u64": d.U64Type, "f32": d.F32Type,
            "f64": d.F64Type, "char": d.CharType, "string": d.StringType}
    if k in prim:
        return prim[k]()
    if k == "list":
        return d.ListType(py_type(j["t"]))
    if k == "fixed":
        return d.ListType(py_type(j["t"]), j["n"])
    if k == "record":
        return d.RecordType([d.FieldType("f%d" % i, py_type(t)) for i, t in enumerate(j["ts"])])
    if k == "tuple":
        return d.TupleType([py_type(t) for t in j["ts"]])
    if k == "variant":
        return d.VariantType([d.CaseType("c%d" % i, None if t is None else py_type(t)) for i, t in enumerate(j["ts"])])
    if k == "enum":
        return d.EnumType(["e%d" % i for i in range(j["n"])])
    if k == "option":
        return d.OptionType(py_type(j["t"]))
    if k == "result":
        return d.ResultType(None if j["ok"] is None else py_type(j["ok"]), None if j["err"] is None else py_type(j["err"]))
    if k == "flags":
        return d.FlagsType(["g%d" % i for i in range(j["n"])])
    if k == "own":
        return d.OwnType(RT)
    if k == "borrow":
        return d.BorrowType(RT)
    raise ValueError(k)


def rand_type(depth, borrow_ok):
    if depth <= 0 or rnd.random() < 0.35:
        r = rnd.random()
        if r < 0.05:
            return {"k": "own"}
        if r < 0.08 and borrow_ok:
            return {"k": "borrow"}
        return {"k": rnd.choice(PRIMS)}
    k = rnd.choice(["list", "fixed", "record", "tuple", "variant", "enum", "option", "result", "flags", "string"])
    sub = lambda: rand_type(depth - 1, borrow_ok)
    if k == "list":
        return {"k": "list", "t": sub()}
    if k == "fixed":
        return {"k": "fixed", "t": sub(), "n": rnd.randint(1, 3)}
    if k in ("record", "tuple"):
        return {"k": k, "ts": [sub() for _ in range(rnd.randint(1, 4))]}
    if k == "variant":
        return {"k": "variant", "ts": [None if rnd.random() < 0.3 else sub() for _ in range(rnd.randint(1, 4))]}
    if k == "enum":
        return {"k": "enum", "n": rnd.choice([1, 2, 5, 256, 257])}
    if k == "option":
        return {"k": "option", "t": sub()}
    if k == "result":
        return {"k": "result", "ok": None if rnd.random() < 0.3 else sub(), "err": None if rnd.random() < 0.3 else sub()}
    if k == "flags":
        return {"k": "flags", "n": rnd.choice([1, 3, 8, 9, 16, 17, 32])}
    return {"k": "string"}


# ---- values: a JSON form and the definitions.py form ----

def rand_string():
    alphabet = ["a", "z", " ", "\u00e9", "\u00ff", "\u0100", "\u20ac", "\ud7ff", "\ue000", "\U0001f600", "\U0010ffff"]
    return "".join(rnd.choice(alphabet) for _ in range(rnd.choice([0, 1, 2, 5, 9])))


def rand_value(j):
    k = j["k"]
    ints = {"s8": 8, "s16": 16, "s32": 32, "s64": 64}
    uints = {"u8": 8, "u16": 16, "u32": 32, "u64": 64}
    if k == "bool":
        return rnd.random() < 0.5
    if k in ints:
        b = ints[k]
        return rnd.choice([-(1 << (b - 1)), -1, 0, 1, (1 << (b - 1)) - 1, rnd.randint(-(1 << (b - 1)), (1 << (b - 1)) - 1)])
    if k in uints:
        b = uints[k]
        return rnd.choice([0, 1, (1 << b) - 1, rnd.randint(0, (1 << b) - 1)])
    if k == "f32":
        return "%08x" % rnd.choice([0, 0x80000000, 0x3fc00000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fa00001, 0x00000001, rnd.getrandbits(32)])
    if k == "f64":
        return "%016x" % rnd.choice([0, 0x8000000000000000, 0x400921fb54442d18, 0x7ff0000000000000, 0x7ff8000000000000, 0xfff0000000000001, rnd.getrandbits(64)])
    if k == "char":
        return rnd.choice([0, 0x41, 0xe9, 0xd7ff, 0xe000, 0xffff, 0x1f600, 0x10ffff])
    if k == "string":
        return rand_string()
    if k == "list":
        return [rand_value(j["t"]) for _ in range(rnd.choice([0, 1, 2, 3]))]
    if k == "fixed":
        return [rand_value(j["t"]) for _ in range(j["n"])]
    if k in ("record", "tuple"):
        return [rand_value(t) for t in j["ts"]]
    if k == "variant":
        i = rnd.randrange(len(j["ts"]))
        return {"case": i, "value": None if j["ts"][i] is None else rand_value(j["ts"][i])}
    if k == "enum":
        return {"case": rnd.randrange(j["n"]), "value": None}
    if k == "option":
        return {"case": 0, "value": None} if rnd.random() < 0.3 else {"case": 1, "value": rand_value(j["t"])}
    if k == "result":
        i = rnd.randrange(2)
        t = j["ok"] if i == 0 else j["err"]
        return {"case": i, "value": None if t is None else rand_value(t)}
    if k == "flags":
        return rnd.getrandbits(j["n"])
    if k in ("own", "borrow"):
        return rnd.choice([5, 77, 0xffffffff])
    raise ValueError(k)


def cases_of(j):
    """The despecialized case labels of a variant-like JSON type."""
    k = j["k"]
    if k == "variant":
        return ["c%d" % i for i in range(len(j["ts"]))]
    if k == "enum":
        return ["e%d" % i for i in range(j["n"])]
    if k == "option":
        return ["none", "some"]
    if k == "result":
        return ["ok", "error"]


def payload_of(j, i):
    k = j["k"]
    if k == "variant":
        return j["ts"][i]
    if k == "option":
        return None if i == 0 else j["t"]
    if k == "result":
        return j["ok"] if i == 0 else j["err"]
    return None


def to_py(j, v):
    k = j["k"]
    if k == "f32":
        return struct.unpack("<f", struct.pack("<I", int(v, 16)))[0]
    if k == "f64":
        return struct.unpack("<d", struct.pack("<Q", int(v, 16)))[0]
    if k == "char":
        return chr(v)
    if k == "string":
        return (v, "utf8", len(v.encode("utf-8")))
    if k in ("list", "fixed"):
        return [to_py(j["t"], e) for e in v]
    if k == "record":
        return {"f%d" % i: to_py(t, e) for i, (t, e) in enumerate(zip(j["ts"], v))}
    if k == "tuple":
        return {str(i): to_py(t, e) for i, (t, e) in enumerate(zip(j["ts"], v))}
    if k in ("variant", "enum", "option", "result"):
        i = v["case"]
        p = payload_of(j, i)
        return {cases_of(j)[i]: None if p is None else to_py(p, v["value"])}
    if k == "flags":
        return {"g%d" % i: bool(v >> i & 1) for i in range(j["n"])}
    return v


def from_py(j, v):
    k = j["k"]
    if k == "f32":
        return "%08x" % struct.unpack("<I", struct.pack("<f", v))[0]
    if k == "f64":
        return "%016x" % struct.unpack("<Q", struct.pack("<d", v))[0]
    if k == "char":
        return ord(v)
    if k == "string":
        return v[0]
    if k in ("list", "fixed"):
        return [from_py(j["t"], e) for e in v]
    if k == "record":
        return [from_py(t, v["f%d" % i]) for i, t in enumerate(j["ts"])]
    if k == "tuple":
        return [from_py(t, v[str(i)]) for i, t in enumerate(j["ts"])]
    if k in ("variant", "enum", "option", "result"):
        [(label, p)] = v.items()
        i = cases_of(j).index(label)
        pt = payload_of(j, i)
        return {"case": i, "value": None if pt is None else from_py(pt, p)}
    if k == "flags":
        return sum(1 << i for i in range(j["n"]) if v["g%d" % i])
    return v


# ---- the context: memory, bump realloc, handle table ----

class Cx(d.LiftLowerContext):
    def __init__(self, enc, mem, inst, scope):
        opts = d.CanonicalOptions(string_encoding=enc, memory=d.MemInst(mem, "i32"))
        super().__init__(opts, inst, scope)
        self.heap = HEAP0
        self.calls = []

    def reallocate(self, old, old_size, align, new_size):
        self.calls.append([old, old_size, align, new_size])
        if old != 0 and new_size <= old_size:
            return old
        ptr = (self.heap + align - 1) // align * align
        end = ptr + new_size
        mem = self.opts.memory.bytes
        while end > len(mem):
            mem.extend(bytes(65536))
        self.heap = end
        if old:
            mem[ptr:ptr + old_size] = mem[old:old + old_size]
        return ptr


def new_inst():
    inst = d.ComponentInstance(d.Store())
    for rep in range(3):
        inst.handles.add(d.ResourceHandle(RT, rep, own=True))
    return inst


def export_scope(inst):
    return d.Task(None, None, inst, None, None)


def run_lift(enc, ts, flat_ts, flat, chunks):
    mem = bytearray(MEMSIZE)
    for off, hexs in chunks:
        b = bytes.fromhex(hexs)
        mem[off:off + len(b)] = b
    inst = new_inst()
    scope = export_scope(inst)
    inst.handles.add(d.ResourceHandle(RT, 9, own=False, borrow_scope=scope))
    cx = Cx(enc, mem, inst, d.Subtask())
    vals = [v if t in ("i32", "i64") else decode_flat(t, v) for t, v in zip(flat_ts, flat)]
    try:
        vs = d.lift_flat_values(cx, d.MAX_FLAT_PARAMS, d.CoreValueIter(vals), [py_type(t) for t in ts])
    except d.Trap:
        return None
    return [from_py(t, v) for t, v in zip(ts, vs)]


def decode_flat(t, v):
    if t == "f32":
        return struct.unpack("<f", struct.pack("<I", v))[0]
    return struct.unpack("<d", struct.pack("<Q", v))[0]


def encode_flat(t, v):
    if t == "f32":
        return struct.unpack("<I", struct.pack("<f", v))[0]
    if t == "f64":
        return struct.unpack("<Q", struct.pack("<d", v))[0]
    return v


def flat_types(ts, enc):
    opts = d.CanonicalOptions(string_encoding=enc, memory=d.MemInst(bytearray(0), "i32"))
    return d.flatten_types([py_type(t) for t in ts], opts)


def main():
    out = {"layout": [], "lower": [], "lift": []}
    opts = d.CanonicalOptions(memory=d.MemInst(bytearray(0), "i32"))
    for _ in range(300):
        t = rand_type(3, True)
        pt = py_type(t)
        out["layout"].append({"type": t, "size": d.elem_size(pt, "i32"), "align": d.alignment(pt, "i32"),
                              "flat": d.flatten_type(pt, opts)})
    for n in range(400):
        enc = ["utf8", "utf16", "latin1+utf16"][n % 3]
        nparams = rnd.choice([1, 1, 2, 3, 9])
        ts = [rand_type(3, True) for _ in range(nparams)]
        vs = [rand_value(t) for t in ts]
        fts = flat_types(ts, enc)
        spilled = len(fts) > d.MAX_FLAT_PARAMS
        mem = bytearray(MEMSIZE)
        inst = new_inst()
        scope = export_scope(inst)
        inst.handles.add(d.ResourceHandle(RT, 9, own=False, borrow_scope=scope))
        cx = Cx(enc, mem, inst, scope)
        try:
            flat = d.lower_flat_values(cx, d.MAX_FLAT_PARAMS, [to_py(t, v) for t, v in zip(ts, vs)], [py_type(t) for t in ts])
        except d.Trap:
            continue
        lts = ["i32"] if spilled else fts
        flat = [encode_flat(t, v) for t, v in zip(lts, flat)]
        chunk = mem[HEAP0:cx.heap]
        if len(chunk) > 1024:
            continue
        out["lower"].append({"enc": enc, "types": ts, "values": vs, "flat": flat, "heap": cx.heap,
                             "mem": chunk.hex(), "reallocs": cx.calls})
        chunks = [[HEAP0, chunk.hex()]]
        got = run_lift(enc, ts, lts, flat, chunks)
        out["lift"].append({"enc": enc, "types": ts, "flat": flat, "mem": chunks, "values": got})
        # Corrupted copies.
        for _ in range(2):
            f2 = list(flat)
            c2 = bytearray(chunk)
            for _ in range(rnd.randint(1, 3)):
                if c2 and rnd.random() < 0.7:
                    i = rnd.randrange(len(c2))
                    c2[i] = rnd.choice([0, 1, 2, 0x7f, 0x80, 0xd8, 0xdc, 0xff, rnd.getrandbits(8)])
                elif f2:
                    i = rnd.randrange(len(f2))
                    if lts[i] in ("i32", "f32"):
                        f2[i] = rnd.choice([0, 1, 2, 3, 4, 5, 0x7fffffff, 0x80000000, 0xffffffff, HEAP0 + 1, MEMSIZE - 1, rnd.getrandbits(32)])
                    else:
                        f2[i] = rnd.getrandbits(64)
            chunks = [[HEAP0, c2.hex()]]
            out["lift"].append({"enc": enc, "types": ts, "flat": f2, "mem": chunks, "values": run_lift(enc, ts, lts, f2, chunks)})
    # Results: lowered by canon lower (flat, or at a return pointer given by
    # the caller) and lifted by canon lift (flat, or through the pointer).
    out["result"] = []
    for n in range(300):
        enc = ["utf8", "utf16", "latin1+utf16"][n % 3]
        t = rand_type(3, False)
        v = rand_value(t)
        pt = py_type(t)
        fts = flat_types([t], enc)
        spilled = len(fts) > d.MAX_FLAT_RESULTS
        mem = bytearray(MEMSIZE)
        inst = new_inst()
        cx = Cx(enc, mem, inst, d.Subtask())
        retptr = None
        if spilled:
            tt = d.TupleType([pt])
            retptr = cx.allocate(d.alignment(tt, "i32"), d.elem_size(tt, "i32"))
            cx.calls = []
        try:
            flat = d.lower_flat_values(cx, d.MAX_FLAT_RESULTS, [to_py(t, v)], [pt],
                                       d.CoreValueIter([retptr]) if spilled else None)
        except d.Trap:
            continue
        flat = [encode_flat(ft, x) for ft, x in zip(fts, flat)]
        chunk = mem[HEAP0:cx.heap]
        if len(chunk) > 1024:
            continue
        # Lift it back, as an export's result, in a fresh table.
        lx = Cx(enc, mem, new_inst(), export_scope(inst))
        core = [retptr] if spilled else flat
        vals = [x if ft in ("i32", "i64") else decode_flat(ft, x) for ft, x in zip(["i32"] if spilled else fts, core)]
        try:
            [lv] = d.lift_flat_values(lx, d.MAX_FLAT_RESULTS, d.CoreValueIter(vals), [pt])
            lifted = from_py(t, lv)
        except d.Trap:
            lifted = None
        out["result"].append({"enc": enc, "type": t, "value": v, "retptr": retptr, "flat": flat,
                              "heap": cx.heap, "mem": chunk.hex(), "reallocs": cx.calls, "lifted": lifted})
    json.dump(out, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


main()
