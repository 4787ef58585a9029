#!/usr/bin/env python3
"""Writes include/wlgpu/webgpu/webgpu.h: wlgpu's own C declarations of the part of the
webgpu.h API that wlgpu calls, for the Dawn build shipped in bun-webgpu-linux-x64@0.1.7.

The ABI facts (names, enum values, struct member order and types) are read from Dawn's
API description, src/dawn/dawn.json at google/dawn 9075674547 (June 2025), the build
that binary comes from. Only the objects, methods, functions and chained structs listed
below are emitted, with the types they need.

    scripts/gen-webgpu-h.py path/to/dawn.json > include/wlgpu/webgpu/webgpu.h
"""
import json
import sys

ENABLED_TAGS = {"compat", "dawn", "native", "deprecated"}  # what Dawn's native header enables

FUNCTIONS = ["create instance", "get instance capabilities"]
METHODS = {
    "instance": ["process events", "wait any", "request adapter"],
    "adapter": ["get info", "get limits", "has feature", "get features", "request device",
                "get format capabilities"],
    "device": ["create bind group", "create bind group layout", "create buffer",
               "create command encoder", "create pipeline layout", "create query set",
               "create render pipeline", "create sampler", "create shader module",
               "create texture", "import shared texture memory", "import shared fence",
               "destroy", "get limits", "has feature", "get features", "get adapter info",
               "get queue", "tick", "push error scope", "pop error scope", "force loss",
               "get lost future", "create render bundle encoder", "create compute pipeline"],
    "queue": ["submit", "on submitted work done", "write buffer", "write texture"],
    "buffer": ["map async", "get mapped range", "get const mapped range", "get size", "unmap",
               "destroy"],
    "texture": ["create view", "get width", "get height", "get format", "get usage", "destroy"],
    "command encoder": ["finish", "begin render pass", "begin compute pass",
                        "copy buffer to buffer",
                        "copy buffer to texture", "copy texture to buffer",
                        "copy texture to texture", "resolve query set", "write timestamp"],
    "render pass encoder": ["set pipeline", "set bind group", "draw", "set viewport",
                            "set scissor rect", "set vertex buffer", "set blend constant",
                            "execute bundles", "end"],
    "compute pass encoder": ["set pipeline", "set bind group", "dispatch workgroups", "end"],
    "render bundle encoder": ["set pipeline", "set bind group", "set vertex buffer", "draw", "finish"],
    "query set": ["destroy"],
    "shared texture memory": ["get properties", "create texture", "begin access", "end access",
                              "is device lost"],
    "shared fence": ["export info"],
    "texture view": [], "sampler": [], "bind group": [], "bind group layout": [],
    "pipeline layout": [], "shader module": [], "render pipeline": [], "command buffer": [],
    "render bundle": [], "compute pipeline": [],
}
# Every object gets add ref / release.
REFCOUNT = ["add ref", "release"]
# Chained structs passed through nextInChain (not reachable from signatures).
CHAINED = [
    "shader source WGSL", "dawn toggles descriptor", "adapter properties vk",
    "dawn drm format capabilities", "shared texture memory dma buf descriptor",
    "shared texture memory opaque FD descriptor", "shared texture memory vk dedicated allocation descriptor",
    "shared texture memory vk image layout begin state", "shared texture memory vk image layout end state",
    "shared fence sync FD descriptor", "shared fence sync FD export info",
    "shared fence vk semaphore opaque FD descriptor", "shared fence vk semaphore opaque FD export info",
    "dawn texture internal usage descriptor", "adapter properties memory heaps",
    "buffer host mapped pointer", "dawn host mapped pointer limits",
]
# Free-members helpers of out-structs that own memory.
FREE_MEMBERS = ["adapter info", "supported features", "shared texture memory end access state",
                "adapter properties memory heaps", "dawn drm format capabilities"]

api = json.load(open(sys.argv[1]))


def enabled(j):
    tags = j.get("tags")
    return tags is None or any(t in ENABLED_TAGS for t in tags)


def camel(name, native=False):
    if native:
        return name
    return "".join(c[0].upper() + c[1:] for c in name.split(" "))


def lower_camel(name):
    c = name.split(" ")
    return c[0] + "".join(x[0].upper() + x[1:] for x in c[1:])


def ctype(name):
    j = api[name]
    if j["category"] == "native" and name != "bool":
        return name
    return "WGPU" + camel(name)


def enum_value(v):
    tags = v.get("tags", [])
    prefix = 0
    if "compat" in tags:
        prefix = 0x20000
    if "upstream" not in tags:
        if "dawn" in tags:
            prefix = 0x50000
        elif "emscripten" in tags:
            prefix = 0x40000
    if prefix == 0 and "native" in tags:
        prefix = 0x10000
    return v["value"] + prefix


def decl(member, name_override=None):
    t = ctype(member["type"])
    n = name_override or lower_camel(member["name"])
    a = member.get("annotation", "value")
    return {"value": f"{t} {n}", "*": f"{t} * {n}", "const*": f"{t} const * {n}",
            "const*const*": f"const {t}* const * {n}"}[a]


needed = []   # ordered type names
seen = set()


def need(name):
    if name in seen:
        return
    j = api[name]
    seen.add(name)
    cat = j["category"]
    if cat in ("structure", "callback info"):
        for m in j.get("members", []):
            if enabled(m):
                need(m["type"])
    elif cat in ("callback function", "function pointer"):
        for a in j.get("args", []):
            need(a["type"])
    needed.append(name)


def method_list(obj):
    return [m for m in api[obj].get("methods", []) if enabled(m)]


for obj, names in METHODS.items():
    need(obj)
    ms = {m["name"]: m for m in method_list(obj)}
    for n in names:
        m = ms[n]
        for a in m.get("args", []):
            need(a["type"])
        if "returns" in m:
            need(m["returns"])
for f in FUNCTIONS:
    for a in api[f].get("args", []):
        need(a["type"])
    need(api[f]["returns"]) if "returns" in api[f] else None
for c in CHAINED + FREE_MEMBERS:
    need(c)
need("s type")
need("chained struct") if "chained struct" in api else None

out = []
w = out.append
w("// wlgpu's own declarations of the webgpu.h C API subset that wlgpu uses.")
w("// Generated by scripts/gen-webgpu-h.py from the ABI facts in Dawn's dawn.json")
w("// (google/dawn 9075674547, June 2025: the build in bun-webgpu-linux-x64@0.1.7).")
w("// Do not edit by hand: add what you need to the lists in the generator.")
w("#ifndef WLGPU_WEBGPU_H")
w("#define WLGPU_WEBGPU_H")
w("#include <stddef.h>\n#include <stdint.h>\n")
w("#ifdef __cplusplus\nextern \"C\" {\n#endif\n")
for k, v in api.items():
    if isinstance(v, dict) and v.get("category") == "constant" and enabled(v):
        val = v["value"]
        w(f"#define WGPU_{k.upper().replace(' ', '_')} ({val})")
w("\ntypedef uint64_t WGPUFlags;\ntypedef uint32_t WGPUBool;\n")
w("typedef struct WGPUStringView {\n    char const * data;\n    size_t length;\n} WGPUStringView;\n")
objects = [n for n in needed if api[n]["category"] == "object"]
for o in objects:
    w(f"typedef struct {ctype(o)}Impl * {ctype(o)};")
w("")
structs = [n for n in needed if api[n]["category"] == "structure" and n != "string view"]
for s in structs:
    w(f"struct {ctype(s)};")
w("")
for n in needed:
    j = api[n]
    if j["category"] != "enum":
        continue
    w(f"typedef enum {ctype(n)} {{")
    for v in j["values"]:
        if enabled(v):
            w(f"    {ctype(n)}_{camel(v['name'])} = 0x{enum_value(v):08X},")
    w(f"    {ctype(n)}_Force32 = 0x7FFFFFFF\n}} {ctype(n)};\n")
for n in needed:
    j = api[n]
    if j["category"] != "bitmask":
        continue
    w(f"typedef WGPUFlags {ctype(n)};")
    for v in j["values"]:
        if enabled(v):
            w(f"static const {ctype(n)} {ctype(n)}_{camel(v['name'])} = 0x{v['value']:016X};")
    w("")
for n in needed:
    j = api[n]
    if j["category"] == "function pointer":
        args = ", ".join(decl(a) for a in j.get("args", [])) or "void"
        w(f"typedef {ctype(j.get('returns', 'void'))} (*{ctype(n)})({args});")
    if j["category"] == "callback function":
        args = "".join(("struct " if api[a["type"]]["category"] == "structure" and a["type"] != "string view" else "") + decl(a) + ", "
                       for a in j.get("args", []))
        w(f"typedef void (*{ctype(n)})({args}void * userdata1, void * userdata2);")
w("\ntypedef struct WGPUChainedStruct {\n    struct WGPUChainedStruct * next;\n    WGPUSType sType;\n} WGPUChainedStruct;\n")
for n in needed:
    j = api[n]
    if j["category"] != "callback info":
        continue
    w(f"typedef struct {ctype(n)} {{\n    WGPUChainedStruct * nextInChain;")
    for m in j["members"]:
        if enabled(m):
            w(f"    {decl(m)};")
    w(f"    void * userdata1;\n    void * userdata2;\n}} {ctype(n)};\n")
# Structures in dependency order (a by-value member must be complete first).
done = set()


def emit_struct(n):
    if n in done:
        return
    done.add(n)
    j = api[n]
    for m in j.get("members", []):
        if enabled(m) and m.get("annotation", "value") == "value" and api[m["type"]]["category"] == "structure" \
                and m["type"] != "string view":
            emit_struct(m["type"])
    w(f"typedef struct {ctype(n)} {{")
    if j.get("extensible"):
        w("    WGPUChainedStruct * nextInChain;")
    if j.get("chained"):
        w("    WGPUChainedStruct chain;")
    for m in j.get("members", []):
        if enabled(m):
            w(f"    {decl(m)};")
    w(f"}} {ctype(n)};\n")


for s in structs:
    emit_struct(s)


def proto(ret, name, args):
    return f"{ctype(ret) if ret else 'void'} {name}({', '.join(args) or 'void'});"


for f in FUNCTIONS:
    j = api[f]
    w(proto(j.get("returns"), "wgpu" + camel(f), [decl(a) for a in j.get("args", [])]))
w("")
for obj, names in METHODS.items():
    ms = {m["name"]: m for m in method_list(obj)}
    self_arg = f"{ctype(obj)} {lower_camel(obj)}"
    for n in names:
        m = ms[n]
        w(proto(m.get("returns"), "wgpu" + camel(obj) + camel(n), [self_arg] + [decl(a) for a in m.get("args", [])]))
    for n in REFCOUNT:
        w(proto(None, "wgpu" + camel(obj) + camel(n), [self_arg]))
    w("")
for s in FREE_MEMBERS:
    w(f"void wgpu{camel(s)}FreeMembers({ctype(s)} value);")
w("\n#ifdef __cplusplus\n}  // extern \"C\"\n#endif\n#endif  // WLGPU_WEBGPU_H")
print("\n".join(out))
